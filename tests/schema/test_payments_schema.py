"""Revision 0013: online payments. One open online payment per invoice, one Payment per intent, positive
overpayments, one row per Stripe event; up, down and up again keep every payment."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from psycopg import errors

from tests.schema.conftest import ScratchDatabase, refused, seeded_connection

BEFORE = "0012_message_sales"
REVISION = "0013_online_payments"

EXISTING = """
INSERT INTO "Tenant" (id, name, slug, "updatedAt") VALUES (1, 'Sunny Acres', 'sunny-acres', now());
INSERT INTO "Invoice" (id, "tenantId", number, status, "amountCents", "balanceCents", "updatedAt")
VALUES (1, 1, 'SA-1', 'partially_paid', 10000, 4000, now()), (2, 1, 'SA-2', 'issued', 500, 500, now());
INSERT INTO "Payment" (id, "tenantId", "invoiceId", "amountCents", status, method, "paidAt", reference, "updatedAt")
VALUES (1, 1, 1, 6000, 'succeeded', 'check', now(), 'Cheque 118', now()),
       (2, 1, 2, 500, 'pending', 'cash', NULL, NULL, now());
SELECT setval(pg_get_serial_sequence('"Payment"', 'id'), 100);
"""

PAYMENT_COLUMNS = 'id, "tenantId", "invoiceId", "amountCents", status, method, reference'


def _online(intent: str, invoice: int = 1, status: str = "pending") -> str:
    return (
        'INSERT INTO "Payment" ("tenantId", "invoiceId", "amountCents", status, "stripePaymentIntentId", "updatedAt") '
        f"VALUES (1, {invoice}, 100, '{status}', '{intent}', now())"
    )


@pytest.fixture
def conn(head_db) -> Iterator[psycopg.Connection]:
    with seeded_connection(head_db, EXISTING) as connection:
        yield connection


def test_an_invoice_has_one_open_online_payment_at_most(conn):
    conn.execute(_online("pi_1"))
    error = refused(conn, _online("pi_2"), errors.UniqueViolation)
    assert error.diag.constraint_name == "Payment_invoiceId_open_online_key"

    conn.execute(_online("pi_3", invoice=2))  # another invoice: its own slot
    conn.execute("UPDATE \"Payment\" SET status = 'failed' WHERE \"stripePaymentIntentId\" = 'pi_1'")
    conn.execute(_online("pi_2"))  # the lock ended with the first one
    conn.execute(_online("pi_4", status="succeeded"))  # settled ones are not limited
    # Offline pending payments (no intent) are outside the rule.
    conn.execute(
        'INSERT INTO "Payment" ("tenantId", "invoiceId", "amountCents", status, "updatedAt") '
        "VALUES (1, 1, 100, 'pending', now()), (1, 1, 100, 'pending', now())"
    )


def test_one_payment_per_intent(conn):
    conn.execute(_online("pi_same", status="succeeded"))
    error = refused(conn, _online("pi_same", invoice=2), errors.UniqueViolation)
    assert error.diag.constraint_name == "Payment_stripePaymentIntentId_key"


def test_an_overpayment_is_positive(conn):
    error = refused(conn, 'UPDATE "Payment" SET "overpaidCents" = 0 WHERE id = 1', errors.CheckViolation)
    assert error.diag.constraint_name == "Payment_overpaidCents_check"
    conn.execute('UPDATE "Payment" SET "overpaidCents" = 1 WHERE id = 1')


def test_an_event_is_recorded_once(conn):
    new = """INSERT INTO "StripeEvent" (event_id, type, payload) VALUES ('evt_1', 'payment_intent.succeeded', '{}')"""
    conn.execute(new)
    assert refused(conn, new, errors.UniqueViolation).diag.constraint_name == "StripeEvent_event_id_key"
    assert (
        conn.execute(
            """INSERT INTO "StripeEvent" (event_id, type, payload) VALUES ('evt_1', 'x', '{}')
           ON CONFLICT (event_id) DO NOTHING RETURNING id"""
        ).fetchall()
        == []
    )
    (received_at,) = conn.execute(
        "SELECT received_at - timezone('utc', now()) FROM \"StripeEvent\" WHERE event_id = 'evt_1'"
    ).fetchone()
    assert abs(received_at.total_seconds()) < 5  # UTC, stored naive like every timestamp here


def test_up_down_up_keeps_every_payment(scratch_db):
    database: ScratchDatabase = scratch_db()
    database.upgrade(BEFORE)
    database.execute(EXISTING)
    before = database.execute(f'SELECT {PAYMENT_COLUMNS} FROM "Payment" ORDER BY id')

    database.upgrade(REVISION)
    assert database.execute(f'SELECT {PAYMENT_COLUMNS} FROM "Payment" ORDER BY id') == before
    assert database.execute(
        """SELECT indexrelid::regclass::text, indisvalid FROM pg_index
           WHERE indrelid = '"Payment"'::regclass AND indexrelid::regclass::text LIKE '%online%'"""
    ) == [('"Payment_invoiceId_open_online_key"', True)]
    database.execute(_online("pi_kept"))
    database.execute(
        """INSERT INTO "StripeEvent" (event_id, type, payload) VALUES ('evt_1', 'payment_intent.succeeded', '{}')"""
    )
    with_online = database.execute(f'SELECT {PAYMENT_COLUMNS} FROM "Payment" ORDER BY id')

    database.downgrade(BEFORE)
    assert database.execute(f'SELECT {PAYMENT_COLUMNS} FROM "Payment" ORDER BY id') == with_online
    assert database.execute("SELECT to_regclass('\"StripeEvent\"')") == [(None,)]

    database.upgrade(REVISION)
    assert database.execute(f'SELECT {PAYMENT_COLUMNS} FROM "Payment" ORDER BY id') == with_online
    assert database.execute('SELECT count(*) FROM "Payment" WHERE "stripePaymentIntentId" IS NOT NULL') == [
        (0,)
    ]
