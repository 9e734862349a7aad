"""The payment queries both faces and the webhook share: row locks in one order, the open online payment, and
the per-invoice lock that serialises "Pay now".

Lock order, everywhere: the invoice row (FOR NO KEY UPDATE), then its payment row (FOR UPDATE). FOR NO KEY
UPDATE is what an UPDATE of the balance takes anyway; unlike FOR UPDATE it lets other transactions insert
payments that reference the invoice (their foreign-key check takes FOR KEY SHARE).

These queries opt out of tenant scoping and soft delete on purpose: money that Stripe says arrived is recorded
whichever tenant is bound (a webhook binds none) and even when the invoice was soft-deleted meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from app.extensions import db
from models import ALL_TENANTS, INCLUDE_DELETED, Invoice, Payment, PaymentStatus

UNSCOPED = {ALL_TENANTS: True, INCLUDE_DELETED: True}
# pg_advisory_xact_lock(bigint): the high 32 bits name this use, the low 32 bits are the invoice id. The one-key
# form never meets the sales code's two-key locks (tenant, user): PostgreSQL keeps the two kinds apart.
PAY_NOW_LOCK_CLASS = 0x5041_594E  # "PAYN"
PAY_NOW_LOCK_TIMEOUT = "30s"


class InvoiceBusy(RuntimeError):
    """Another "Pay now" for this invoice held its lock longer than PAY_NOW_LOCK_TIMEOUT."""


def lock_invoice(invoice_id: int) -> Invoice:
    return db.session.scalars(
        select(Invoice)
        .where(Invoice.id == invoice_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True, **UNSCOPED)
    ).one()


def lock_payment(payment_id: int) -> Payment:
    """Call after lock_invoice(payment.invoice_id); the row is read again (another transaction may have settled
    it while we waited)."""
    return db.session.scalars(
        select(Payment)
        .where(Payment.id == payment_id)
        .with_for_update()
        .execution_options(populate_existing=True, **UNSCOPED)
    ).one()


def payment_for_intent(intent_id: str) -> Payment | None:
    return db.session.scalars(
        select(Payment).where(Payment.stripe_payment_intent_id == intent_id).execution_options(**UNSCOPED)
    ).one_or_none()


def open_online_payment(invoice_id: int) -> Payment | None:
    """The invoice's one pending payment with a PaymentIntent (Payment_invoiceId_open_online_key), if any."""
    return db.session.scalars(
        select(Payment)
        .where(
            Payment.invoice_id == invoice_id,
            Payment.status == PaymentStatus.PENDING,
            Payment.stripe_payment_intent_id.is_not(None),
        )
        .execution_options(populate_existing=True, **UNSCOPED)
    ).one_or_none()


@contextmanager
def pay_now_lock(invoice_id: int) -> Iterator[None]:
    """Hold the invoice's "Pay now" lock: a transaction-level advisory lock on a connection of its own.

    The payment flow commits as it goes (the pending Payment must be saved before the card is charged, so a crash
    or a timeout cannot lose it), which would release a lock held in the session's transaction. This one lives
    until the block ends, so a second "Pay now" for the same invoice waits, then finds the first one's Payment
    and reuses it. It locks nothing in any table: webhooks and the breeder's own app are never blocked by it.
    """
    engine = db.session.get_bind().engine
    with engine.connect() as connection, connection.begin():
        connection.execute(text(f"SET LOCAL lock_timeout = '{PAY_NOW_LOCK_TIMEOUT}'"))
        try:
            connection.execute(select(func.pg_advisory_xact_lock((PAY_NOW_LOCK_CLASS << 32) | invoice_id)))
        except OperationalError as error:
            raise InvoiceBusy(f"invoice {invoice_id} is being paid by another request") from error
        yield
