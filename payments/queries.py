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
from models import (
    ALL_TENANTS,
    INCLUDE_DELETED,
    Invoice,
    MarketplaceTransaction,
    Payment,
    PaymentRefund,
    PaymentStatus,
)
from models.billing import MONEY_RECEIVED

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


def lock_sale_and_invoice(invoice_id: int) -> Invoice:
    """Lock the invoice's sale (for a marketplace invoice), then the invoice: the order the sales code takes them
    in (marketplace/sales/invoicing.py), so a seller's move of the sale and a payment or refund on its invoice
    queue instead of deadlocking. Lock the invoice's payments after this."""
    sale_id = db.session.scalar(
        select(Invoice.marketplace_transaction_id)
        .where(Invoice.id == invoice_id)
        .execution_options(**UNSCOPED)
    )
    if sale_id is not None:
        db.session.scalars(
            select(MarketplaceTransaction)
            .where(MarketplaceTransaction.id == sale_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one_or_none()
    return lock_invoice(invoice_id)


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


def lock_online_payments(invoice_id: int) -> list[Payment]:
    """The invoice's online payments whose money arrived, newest first, locked (after lock_sale_and_invoice)."""
    return list(
        db.session.scalars(
            select(Payment)
            .where(
                Payment.invoice_id == invoice_id,
                Payment.stripe_payment_intent_id.is_not(None),
                Payment.status.in_(MONEY_RECEIVED),
            )
            .order_by(Payment.paid_at.desc().nulls_last(), Payment.id.desc())
            .with_for_update()
            .execution_options(populate_existing=True, **UNSCOPED)
        )
    )


def card_money(invoice_id: int) -> tuple[int, int]:
    """(received by card, refunded) on the invoice's online payments: one aggregate."""
    received = (
        select(func.coalesce(func.sum(Payment.amount_cents), 0))
        .where(
            Payment.invoice_id == invoice_id,
            Payment.stripe_payment_intent_id.is_not(None),
            Payment.status.in_(MONEY_RECEIVED),
        )
        .scalar_subquery()
    )
    refunded = (
        select(func.coalesce(func.sum(PaymentRefund.amount_cents), 0))
        .join(Payment, Payment.id == PaymentRefund.payment_id)
        .where(Payment.invoice_id == invoice_id)
        .scalar_subquery()
    )
    row = db.session.execute(select(received, refunded).execution_options(**UNSCOPED)).one()
    return int(row[0]), int(row[1])


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
