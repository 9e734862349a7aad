"""Revision 0016: refunds of online payments. A positive amount, one row per Stripe refund, one refund per form key
and payment, money history kept (a refunded payment cannot be deleted); up, down and up again keep every
payment."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from psycopg import errors

from tests.schema.conftest import ScratchDatabase, refused, seeded_connection

BEFORE = "0015_message_attachments"
REVISION = "0016_payment_refunds"

EXISTING = """
INSERT INTO "Tenant" (id, name, slug, "updatedAt") VALUES (1, 'Sunny Acres', 'sunny-acres', now());
INSERT INTO "Invoice" (id, "tenantId", number, status, "amountCents", "balanceCents", "updatedAt")
VALUES (1, 1, 'SA-1', 'paid', 10000, 0, now());
INSERT INTO "Payment" (id, "tenantId", "invoiceId", "amountCents", status, method, "stripePaymentIntentId",
                       "updatedAt")
VALUES (1, 1, 1, 6000, 'succeeded', 'card', 'pi_1', now()), (2, 1, 1, 4000, 'succeeded', 'card', 'pi_2', now());
"""


def _refund(refund_id: str, payment: int = 1, cents: int = 100, key: str | None = None) -> str:
    key_sql = "NULL" if key is None else f"'{key}'"
    return (
        'INSERT INTO "PaymentRefund" ("tenantId", "paymentId", "amountCents", "stripeRefundId", "idempotencyKey", '
        f"\"updatedAt\") VALUES (1, {payment}, {cents}, '{refund_id}', {key_sql}, now())"
    )


@pytest.fixture
def conn(head_db) -> Iterator[psycopg.Connection]:
    with seeded_connection(head_db, EXISTING) as connection:
        yield connection


def test_a_refund_is_positive(conn):
    for cents in (0, -100):
        error = refused(conn, _refund("re_x", cents=cents), errors.CheckViolation)
        assert error.diag.constraint_name == "PaymentRefund_amountCents_check"


def test_a_stripe_refund_is_recorded_once(conn):
    conn.execute(_refund("re_1"))
    error = refused(conn, _refund("re_1", payment=2), errors.UniqueViolation)
    assert error.diag.constraint_name == "PaymentRefund_stripeRefundId_key"
    inserted = conn.execute(
        _refund("re_1") + ' ON CONFLICT ("stripeRefundId") DO NOTHING RETURNING id'
    ).fetchall()
    assert inserted == []


def test_one_form_key_refunds_a_payment_once(conn):
    conn.execute(_refund("re_1", key="form-a"))
    error = refused(conn, _refund("re_2", key="form-a"), errors.UniqueViolation)
    assert error.diag.constraint_name == "PaymentRefund_paymentId_idempotencyKey_key"
    conn.execute(_refund("re_3", payment=2, key="form-a"))  # the same form's refund of another payment
    conn.execute(_refund("re_4"))  # refunds without a key (recorded from Stripe's side) never collide
    conn.execute(_refund("re_5"))


def test_a_refunded_payment_and_its_tenant_are_kept(conn):
    conn.execute(_refund("re_1"))
    assert refused(
        conn, 'DELETE FROM "Payment" WHERE id = 1', (errors.ForeignKeyViolation, errors.RestrictViolation)
    )  # 23503 on 15, 23001 on 18
    refused(conn, _refund("re_x", payment=999), errors.ForeignKeyViolation)


def test_up_down_up_keeps_every_payment(scratch_db):
    database: ScratchDatabase = scratch_db()
    database.upgrade(BEFORE)
    database.execute(EXISTING)
    payments = 'SELECT id, "amountCents", status, "stripePaymentIntentId" FROM "Payment" ORDER BY id'
    before = database.execute(payments)

    database.upgrade(REVISION)
    database.execute(_refund("re_1", payment=2, cents=4000))
    database.execute("UPDATE \"Payment\" SET status = 'refunded' WHERE id = 2")
    after = database.execute(payments)
    assert after == [before[0], (2, 4000, "refunded", "pi_2")]

    database.downgrade(BEFORE)
    assert database.execute(payments) == after
    assert database.execute("SELECT to_regclass('\"PaymentRefund\"')") == [(None,)]

    database.upgrade(REVISION)
    assert database.execute('SELECT count(*) FROM "PaymentRefund"') == [(0,)]
