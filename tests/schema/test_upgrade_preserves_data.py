"""Revision 2 is a real upgrade of real data: nothing is lost, money widens to BIGINT, and the way back is guarded."""

from __future__ import annotations

from itertools import pairwise

import psycopg
import pytest
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from tests.schema.catalog import snapshot
from tests.schema.conftest import EXISTING_TABLES, REV1, REV2, ScratchDatabase, table_rows

INT_MAX = 2_147_483_647
INT_MIN = -2_147_483_648
TOO_BIG_FOR_INTEGER = 2_200_000_000

# Rows as the customer's existing app wrote them, at the edges of what INTEGER holds.
EXISTING_ROWS = """
INSERT INTO "Tenant" (id, name, slug, "updatedAt") VALUES
  (1, 'Sunny Acres', 'sunny-acres', '2025-01-02 03:04:05.678'),
  (2, 'Other Farm', 'other-farm', '2025-01-02 03:04:05');
INSERT INTO "Party" (id, "tenantId", type, name, email, phone, "updatedAt") VALUES
  (1, 1, 'person', 'Zoë O''Brien', 'zoe@example.com', NULL, now()),
  (2, 2, 'organization', 'Kennel Club', NULL, '+1 555 0100', now());
INSERT INTO "Contact" (id, "tenantId", "partyId", "firstName", "lastName", email, "marketplaceUserId", "updatedAt")
VALUES (1, 1, 1, 'Zoë', 'O''Brien', 'zoe@example.com', NULL, now()),
       (2, 2, 2, NULL, NULL, NULL, NULL, now());
INSERT INTO "Invoice" (id, "tenantId", "clientPartyId", number, status, "amountCents", "balanceCents",
                       "depositCents", currency, "issuedAt", "dueAt", notes, "updatedAt") VALUES
  (1, 1, 1, 'INV-1', 'issued', 2147483647, 2147483647, NULL, 'USD', now(), now() + interval '30 days', 'max', now()),
  (2, 1, NULL, 'INV-2', 'paid', 0, -2147483648, 2147483647, 'EUR', NULL, NULL, NULL, now()),
  (3, 2, 2, 'INV-1', 'void', -1, 1, 0, 'USD', NULL, NULL, 'same number, other tenant', now());
INSERT INTO "Payment" (id, "tenantId", "invoiceId", "amountCents", status, method, "paidAt", reference, "updatedAt")
VALUES (1, 1, 1, 2147483647, 'succeeded', 'card', now(), 'ch_1', now()),
       (2, 1, 2, -2147483648, 'refunded', NULL, NULL, NULL, now()),
       (3, 2, 3, 1, 'pending', 'cash', NULL, NULL, now());
SELECT setval(pg_get_serial_sequence('"' || t || '"', 'id'), 100) FROM unnest(ARRAY[
  'Tenant', 'Party', 'Contact', 'Invoice', 'Payment']) AS t;
"""


def _at_revision_1_with_rows(scratch_db) -> ScratchDatabase:
    database = scratch_db()
    database.upgrade(REV1)
    database.execute(EXISTING_ROWS)
    return database


def _column_type(database: ScratchDatabase, table: str, column: str) -> str:
    return database.execute(
        "SELECT data_type FROM information_schema.columns WHERE table_name = %s AND column_name = %s",
        (table, column),
    )[0][0]


def test_an_amount_above_integer_is_refused_before_revision_2_and_stored_after_it(scratch_db):
    database = _at_revision_1_with_rows(scratch_db)
    with pytest.raises(psycopg.errors.NumericValueOutOfRange, match="integer out of range"):
        database.execute('UPDATE "Invoice" SET "amountCents" = %s WHERE id = 1', (TOO_BIG_FOR_INTEGER,))

    database.upgrade(REV2)
    database.execute('UPDATE "Invoice" SET "amountCents" = %s WHERE id = 1', (TOO_BIG_FOR_INTEGER,))
    database.execute(
        """INSERT INTO "Payment" ("tenantId", "invoiceId", "amountCents", "updatedAt")
           VALUES (1, 1, %s, now())""",
        (TOO_BIG_FOR_INTEGER,),
    )
    assert database.execute('SELECT "amountCents" FROM "Invoice" WHERE id = 1') == [(TOO_BIG_FOR_INTEGER,)]
    assert database.execute('SELECT max("amountCents") FROM "Payment"') == [(TOO_BIG_FOR_INTEGER,)]


def test_upgrade_to_head_keeps_every_existing_row_and_money_value_exactly(scratch_db):
    database = _at_revision_1_with_rows(scratch_db)
    before = table_rows(database)
    columns = {table: list(rows[0]) for table, rows in before.items()}

    database.upgrade("head")

    assert table_rows(database, columns=columns) == before
    for table, column in [
        ("Invoice", "amountCents"),
        ("Invoice", "balanceCents"),
        ("Invoice", "depositCents"),
        ("Payment", "amountCents"),
    ]:
        assert _column_type(database, table, column) == "bigint"
    # The spec's new flags take their DEFAULT FALSE on existing rows; soft delete starts empty.
    assert database.execute('SELECT DISTINCT "isMarketplaceInvoice", "deletedAt" FROM "Invoice"') == [
        (False, None)
    ]
    assert database.execute('SELECT DISTINCT "portalEnabled", "deletedAt" FROM "Contact"') == [(False, None)]


def test_downgrade_refuses_while_an_amount_exceeds_integer_and_changes_nothing(scratch_db):
    database = _at_revision_1_with_rows(scratch_db)
    database.upgrade("head")
    head = database.revision()
    database.execute('UPDATE "Payment" SET "amountCents" = %s WHERE id = 3', (TOO_BIG_FOR_INTEGER,))
    database.execute(
        """INSERT INTO "InvoiceLineItem" ("tenantId", "invoiceId", description, "unitPriceCents", "amountCents",
           "updatedAt") VALUES (1, 1, 'Stud service', 100, 100, now())"""
    )
    schema_before, rows_before = (
        snapshot(database.url),
        table_rows(database, (*EXISTING_TABLES, "InvoiceLineItem")),
    )

    with pytest.raises(CommandError) as refused:
        database.downgrade(REV1)

    message = str(refused.value)
    assert "Refusing to downgrade 0002_production_ready_schema" in message
    assert '1 "Payment" row(s)' in message and "INTEGER" in message
    # One transaction for the whole downgrade: the later revisions, undone before 0002 refused, are back too.
    assert database.revision() == head
    assert snapshot(database.url) == schema_before
    assert table_rows(database, (*EXISTING_TABLES, "InvoiceLineItem")) == rows_before


def test_downgrade_to_revision_1_works_once_every_amount_fits_in_integer(scratch_db):
    database = _at_revision_1_with_rows(scratch_db)
    schema_at_1, rows_at_1 = snapshot(database.url), table_rows(database)
    database.upgrade("head")
    database.execute('UPDATE "Payment" SET "amountCents" = %s WHERE id = 3', (TOO_BIG_FOR_INTEGER,))
    with pytest.raises(CommandError):
        database.downgrade(REV1)

    database.execute('UPDATE "Payment" SET "amountCents" = 1 WHERE id = 3')
    database.downgrade(REV1)

    assert database.revision() == REV1
    assert snapshot(database.url) == schema_at_1
    assert table_rows(database) == rows_at_1


def test_every_revision_round_trips_down_and_up_with_data_in_the_tables(scratch_db):
    database = _at_revision_1_with_rows(scratch_db)
    rows_at_1 = table_rows(database)
    with database.app.app_context():
        script = ScriptDirectory.from_config(database.app.extensions["migrate"].migrate.get_config())
    revisions = [revision.revision for revision in reversed(list(script.walk_revisions()))]
    assert revisions[0] == REV1

    schemas = {REV1: snapshot(database.url)}
    for previous, revision in pairwise(revisions):
        database.upgrade(revision)
        schemas[revision] = snapshot(database.url)
        database.downgrade(previous)
        assert snapshot(database.url) == schemas[previous], (
            f"downgrade of {revision} did not restore {previous}"
        )
        database.upgrade(revision)
        assert snapshot(database.url) == schemas[revision], f"{revision} differs after down and up again"
        assert (
            table_rows(database, columns={table: list(rows[0]) for table, rows in rows_at_1.items()})
            == rows_at_1
        )

    # ... and from head all the way back down, one revision at a time.
    for revision in reversed(revisions[:-1]):
        database.downgrade(revision)
        assert snapshot(database.url) == schemas[revision]
    assert table_rows(database) == rows_at_1
    database.downgrade("base")
    assert database.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [
        (1,)
    ]  # alembic_version


def test_upgrade_stops_with_a_clear_message_when_an_old_contact_points_at_no_marketplace_user(scratch_db):
    database = _at_revision_1_with_rows(scratch_db)
    database.execute('UPDATE "Contact" SET "marketplaceUserId" = 999 WHERE id = 2')

    with pytest.raises(CommandError) as stopped:
        database.upgrade(REV2)
    assert '1 row(s) of "Contact" have a "marketplaceUserId" that matches no "MarketplaceUser" row' in str(
        stopped.value
    )
    assert database.revision() == REV1

    # The statements are re-runnable: once the value is cleared, the same upgrade finishes the job.
    database.execute('UPDATE "Contact" SET "marketplaceUserId" = NULL WHERE id = 2')
    database.upgrade("head")
    assert database.execute(
        """SELECT convalidated FROM pg_constraint WHERE conname = 'Contact_marketplaceUserId_fkey'"""
    ) == [(True,)]
