"""Revisions 0010 and 0011: the database keeps a sale's money right, invoices a sale once, keeps its audit trail
append-only, and both revisions go down and up again with data in their tables."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from alembic.util import CommandError
from psycopg import errors

from models.sales import net_payout_cents, platform_fee_cents
from tests.schema.catalog import snapshot
from tests.schema.conftest import ScratchDatabase, refused, seeded_connection

BEFORE_AUDIT = "0009_thread_unread_counts"
AUDIT = "0010_audit_events"
SALES = "0011_marketplace_sales"
BIGINT_MAX = 9_223_372_036_854_775_807

BASELINE = """
INSERT INTO "Tenant" (id, name, slug, "updatedAt") VALUES (1, 'Sunny Acres', 'sunny-acres', now()),
                                                          (2, 'Other Farm', 'other-farm', now());
INSERT INTO "MarketplaceUser" (id, email, password_hash, user_type, tenant_id)
  VALUES (1, 'seller@example.com', 'x', 'service_provider', 1), (2, 'buyer@example.com', 'x', 'buyer', NULL);
INSERT INTO "MarketplaceTransaction" (id, provider_tenant_id, provider_user_id, client_user_id,
                                      service_description, amount_cents, platform_fee_cents, net_payout_cents,
                                      transaction_date, status)
  VALUES (1, 1, 1, 2, 'Stud service', 150000, 7500, 142500, '2026-11-20', 'completed'),
         (2, 1, 1, 2, 'Grooming', 5000, 0, NULL, '2026-11-21', 'pending');
INSERT INTO "Invoice" (id, "tenantId", number, status, "amountCents", "balanceCents", "marketplaceTransactionId",
                       "isMarketplaceInvoice", "updatedAt")
  VALUES (1, 1, 'SA-M001', 'issued', 150000, 150000, 1, true, now()),
         (2, 1, 'SA-1001', 'issued', 100, 100, NULL, false, now());
SELECT setval(pg_get_serial_sequence('"' || t || '"', 'id'), 100) FROM unnest(ARRAY[
  'Tenant', 'MarketplaceUser', 'MarketplaceTransaction', 'Invoice']) AS t;
"""


def new_transaction(amount: object, fee: object = "DEFAULT", net: object = "NULL") -> str:
    return (
        'INSERT INTO "MarketplaceTransaction" (provider_tenant_id, service_description, amount_cents, '
        f"platform_fee_cents, net_payout_cents, transaction_date) VALUES (1, 'Sale', {amount}, {fee}, {net}, "
        "current_date)"
    )


def new_invoice(number: str, transaction_id: int | None, deleted: bool = False) -> str:
    link = "NULL" if transaction_id is None else str(transaction_id)
    deleted_at = "now()" if deleted else "NULL"
    return (
        'INSERT INTO "Invoice" ("tenantId", number, "amountCents", "balanceCents", "marketplaceTransactionId", '
        f'"deletedAt", "updatedAt") VALUES (1, \'{number}\', 100, 100, {link}, {deleted_at}, now())'
    )


NEW_EVENT = """INSERT INTO "AuditEvent" (actor_kind, actor_id, action, subject_table, subject_id, tenant_id, after)
               VALUES ('cli', NULL, 'marketplace_user.linked_tenant', 'MarketplaceUser', 1, 1,
                       '{"tenant_id": 1}')"""


@pytest.fixture
def conn(head_db) -> Iterator[psycopg.Connection]:
    """A connection to a database at head with a few rows, all rolled back afterwards."""
    with seeded_connection(head_db, BASELINE) as connection:
        yield connection


# ---- MarketplaceTransaction: the money adds up ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "fee", "net", "constraint"),
    [
        (0, 0, "NULL", "MarketplaceTransaction_amount_cents_check"),
        (-100, 0, "NULL", "MarketplaceTransaction_amount_cents_check"),
        (100, 101, "NULL", "MarketplaceTransaction_platform_fee_cents_check"),  # fee above the amount
        (100, -1, "NULL", "MarketplaceTransaction_platform_fee_cents_check"),  # negative fee
        (100, 5, 96, "MarketplaceTransaction_net_payout_cents_check"),  # net is not amount - fee
        (100, 5, 100, "MarketplaceTransaction_net_payout_cents_check"),
        (100, "NULL", 100, "MarketplaceTransaction_net_payout_cents_check"),  # a net without a fee
    ],
)
def test_database_refuses_sale_money_that_does_not_add_up(conn, amount, fee, net, constraint):
    error = refused(conn, new_transaction(amount, fee, net), errors.CheckViolation)
    assert error.diag.constraint_name == constraint


@pytest.mark.parametrize(
    ("amount", "fee", "net"),
    [
        (100, 5, 95),
        (100, 0, 100),
        (100, 100, 0),  # the whole amount as fee (10000 bps)
        (1, 0, 1),
        (100, "DEFAULT", "NULL"),  # the spec's default fee 0, no net yet
        (100, "NULL", "NULL"),  # nullable in the spec: NULL passes
        (100, 7, "NULL"),
    ],
)
def test_database_accepts_sale_money_that_adds_up(conn, amount, fee, net):
    conn.execute(new_transaction(amount, fee, net))


def test_database_stores_the_largest_bigint_sale_with_the_fee_the_application_computes(conn):
    fee, net = platform_fee_cents(BIGINT_MAX, 500), net_payout_cents(BIGINT_MAX, 500)
    conn.execute(new_transaction(BIGINT_MAX, fee, net))
    stored = conn.execute(
        'SELECT amount_cents, platform_fee_cents, net_payout_cents FROM "MarketplaceTransaction" '
        "WHERE amount_cents = %s",
        (BIGINT_MAX,),
    ).fetchone()
    assert stored == (BIGINT_MAX, fee, net)


def test_changing_a_recorded_sale_is_checked_too(conn):
    error = refused(
        conn,
        'UPDATE "MarketplaceTransaction" SET platform_fee_cents = 10000 WHERE id = 1',
        errors.CheckViolation,
    )
    assert error.diag.constraint_name == "MarketplaceTransaction_net_payout_cents_check"
    conn.execute(
        'UPDATE "MarketplaceTransaction" SET platform_fee_cents = 10000, net_payout_cents = 140000 WHERE id = 1'
    )


# ---- Invoice: one per marketplace transaction -----------------------------------------------------------------


def test_a_second_invoice_for_one_transaction_isrefused(conn):
    error = refused(conn, new_invoice("SA-M002", 1), errors.UniqueViolation)
    assert error.diag.constraint_name == "Invoice_marketplaceTransactionId_key"


def test_a_soft_deleted_invoice_still_holds_its_transaction(conn):
    conn.execute(new_invoice("SA-M002", 2, deleted=True))
    error = refused(conn, new_invoice("SA-M003", 2), errors.UniqueViolation)
    assert error.diag.constraint_name == "Invoice_marketplaceTransactionId_key"
    # Clearing the old invoice's link frees the transaction for a new one.
    conn.execute('UPDATE "Invoice" SET "marketplaceTransactionId" = NULL WHERE number = \'SA-M002\'')
    conn.execute(new_invoice("SA-M003", 2))


def test_invoices_without_a_transaction_are_not_limited(conn):
    conn.execute(new_invoice("SA-1002", None))
    conn.execute(new_invoice("SA-1003", None))


def test_deleting_a_transaction_unlinks_its_invoice_through_the_new_index(conn):
    conn.execute('DELETE FROM "MarketplaceTransaction" WHERE id = 1')
    assert conn.execute('SELECT "marketplaceTransactionId" FROM "Invoice" WHERE id = 1').fetchone() == (None,)


# ---- InvoiceNumberCounter -------------------------------------------------------------------------------------


def test_counter_goes_with_its_tenant_and_never_below_zero(conn):
    conn.execute('INSERT INTO "InvoiceNumberCounter" (tenant_id, last_number) VALUES (2, 7)')
    error = refused(
        conn, 'UPDATE "InvoiceNumberCounter" SET last_number = -1 WHERE tenant_id = 2', errors.CheckViolation
    )
    assert error.diag.constraint_name == "InvoiceNumberCounter_last_number_check"
    conn.execute('DELETE FROM "Tenant" WHERE id = 2')
    assert conn.execute('SELECT count(*) FROM "InvoiceNumberCounter"').fetchone() == (0,)


# ---- AuditEvent: append-only ----------------------------------------------------------------------------------


def test_audit_events_are_written_with_a_utc_time_and_read_back(conn):
    conn.execute("SET LOCAL TIME ZONE 'America/Chicago'")  # a session far from UTC still stores UTC
    conn.execute(NEW_EVENT)
    row = conn.execute(
        """SELECT id, occurred_at = (now() AT TIME ZONE 'utc'), before IS NULL, after->>'tenant_id'
           FROM "AuditEvent" ORDER BY id DESC LIMIT 1"""
    ).fetchone()
    assert row[0] >= 1
    assert row[1:] == (True, True, "1")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE \"AuditEvent\" SET action = 'rewritten'",
        'DELETE FROM "AuditEvent"',
        'TRUNCATE "AuditEvent"',
        'UPDATE "AuditEvent" SET action = action WHERE false',  # refused as a statement, rows or not
    ],
)
def test_audit_events_cannot_be_changed_or_removed(conn, statement):
    conn.execute(NEW_EVENT)
    error = refused(conn, statement, errors.RestrictViolation)
    assert '"AuditEvent" is append-only' in str(error)
    assert conn.execute('SELECT count(*) FROM "AuditEvent"').fetchone() == (1,)


def test_audit_events_stay_append_only_in_replica_mode(conn):
    conn.execute(NEW_EVENT)
    conn.execute("SET LOCAL session_replication_role = replica")  # disables ordinary triggers, not this one
    conn.execute(NEW_EVENT)  # bulk loads may still insert
    refused(conn, 'DELETE FROM "AuditEvent"', errors.RestrictViolation)
    assert conn.execute('SELECT count(*) FROM "AuditEvent"').fetchone() == (2,)


def test_audit_events_name_a_known_actor_kind_and_keep_their_tenant(conn):
    error = refused(conn, NEW_EVENT.replace("'cli'", "'robot'"), errors.CheckViolation)
    assert error.diag.constraint_name == "AuditEvent_actor_kind_check"
    conn.execute(NEW_EVENT.replace("'MarketplaceUser', 1, 1,", "'MarketplaceUser', 1, 2,"))  # Other Farm
    # PostgreSQL 18 reports a RESTRICT foreign key as restrict_violation (23001), 15 as foreign_key_violation.
    error = refused(
        conn, 'DELETE FROM "Tenant" WHERE id = 2', (errors.ForeignKeyViolation, errors.RestrictViolation)
    )
    assert error.diag.constraint_name == "AuditEvent_tenant_id_fkey"


# ---- Up, down and up again with data; upgrades that stop with a clear message ---------------------------------


def _at(scratch_db, revision: str) -> ScratchDatabase:
    database = scratch_db()
    database.upgrade(revision)
    return database


def _rows(database: ScratchDatabase, table: str) -> list[tuple]:
    return database.execute(f'SELECT * FROM "{table}" ORDER BY 1')


def _audit_objects(database: ScratchDatabase) -> list[tuple]:
    return database.execute(
        """SELECT 'function ' || proname FROM pg_proc WHERE proname = 'audit_event_append_only'
           UNION ALL SELECT 'trigger ' || tgname || ' ' || tgenabled::text FROM pg_trigger
                     WHERE tgname = 'audit_event_append_only' ORDER BY 1"""
    )


def test_0010_and_0011_go_down_and_up_again_with_rows_in_their_tables(scratch_db):
    database = _at(scratch_db, BEFORE_AUDIT)
    database.execute(BASELINE)
    existing = {table: _rows(database, table) for table in ("MarketplaceTransaction", "Invoice")}
    schema_before_audit = snapshot(database.url)

    database.upgrade(AUDIT)
    database.execute(NEW_EVENT)
    events = _rows(database, "AuditEvent")
    schema_at_audit = snapshot(database.url)
    assert _audit_objects(database) == [
        ("function audit_event_append_only",),
        ("trigger audit_event_append_only A",),  # A: ENABLE ALWAYS
    ]

    database.upgrade(SALES)
    database.execute('INSERT INTO "InvoiceNumberCounter" (tenant_id, last_number) VALUES (1, 1)')
    schema_at_sales = snapshot(database.url)

    database.downgrade(AUDIT)
    assert snapshot(database.url) == schema_at_audit
    assert _rows(database, "AuditEvent") == events
    assert {table: _rows(database, table) for table in existing} == existing
    # Without the checks, the old schema takes what 0011 refuses: the downgrade really removed them.
    database.execute(new_transaction(100, 101))
    database.execute('DELETE FROM "MarketplaceTransaction" WHERE platform_fee_cents = 101')

    database.upgrade(SALES)
    assert snapshot(database.url) == schema_at_sales
    assert database.execute('SELECT count(*) FROM "InvoiceNumberCounter"') == [
        (0,)
    ]  # the table was new again
    assert database.execute(
        """SELECT conname, convalidated FROM pg_constraint
           WHERE conrelid = '"MarketplaceTransaction"'::regclass AND conname LIKE '%cents_check' ORDER BY 1"""
    ) == [
        ("MarketplaceTransaction_amount_cents_check", True),
        ("MarketplaceTransaction_net_payout_cents_check", True),
        ("MarketplaceTransaction_platform_fee_cents_check", True),
    ]

    database.downgrade(BEFORE_AUDIT)
    assert snapshot(database.url) == schema_before_audit
    assert _audit_objects(database) == []
    assert {table: _rows(database, table) for table in existing} == existing

    database.upgrade("head")
    assert _rows(database, "AuditEvent") == []
    assert {table: _rows(database, table) for table in existing} == existing


def test_upgrade_stops_before_validating_when_an_existing_sale_breaks_a_rule_and_finishes_once_fixed(
    scratch_db,
):
    database = _at(scratch_db, AUDIT)
    database.execute(BASELINE)
    database.execute('UPDATE "MarketplaceTransaction" SET platform_fee_cents = 200000 WHERE id = 1')

    with pytest.raises(CommandError) as stopped:
        database.upgrade(SALES)
    message = str(stopped.value)
    assert (
        '1 row(s) of "MarketplaceTransaction" break "MarketplaceTransaction_platform_fee_cents_check"'
        in message
    )
    assert "Fix those rows, then run `db upgrade` again." in message
    assert database.revision() == AUDIT
    # Meanwhile the rules already hold for new writes (the checks are in place, NOT VALID).
    with pytest.raises(errors.CheckViolation):
        database.execute(new_transaction(100, 101))

    database.execute('UPDATE "MarketplaceTransaction" SET platform_fee_cents = 7500 WHERE id = 1')
    database.upgrade(SALES)
    assert database.revision() == SALES
    assert database.execute(
        """SELECT bool_and(convalidated) FROM pg_constraint
           WHERE conrelid = '"MarketplaceTransaction"'::regclass AND conname LIKE '%cents_check'"""
    ) == [(True,)]


def test_upgrade_stops_before_the_index_when_a_sale_has_two_invoices_and_finishes_once_fixed(scratch_db):
    database = _at(scratch_db, AUDIT)
    database.execute(BASELINE)
    database.execute(new_invoice("SA-M002", 1, deleted=True))

    with pytest.raises(CommandError) as stopped:
        database.upgrade(SALES)
    assert '1 "MarketplaceTransaction" row(s) have more than one "Invoice"' in str(stopped.value)
    assert database.revision() == AUDIT
    assert database.execute(
        "SELECT count(*) FROM pg_class WHERE relname = 'Invoice_marketplaceTransactionId_key'"
    ) == [(0,)]

    database.execute('UPDATE "Invoice" SET "marketplaceTransactionId" = NULL WHERE number = \'SA-M002\'')
    database.upgrade("head")
    assert database.execute(
        """SELECT indisvalid, indisunique FROM pg_index
           WHERE indexrelid = '"Invoice_marketplaceTransactionId_key"'::regclass"""
    ) == [(True, True)]
