"""What a payment's outcome does to our records: the one success handler and the one failure handler.

Both are called by the webhook (payments/webhooks.py), and by "Pay now" when it finds an open payment that
Stripe has already settled (payments/service.py). They run in the caller's transaction, lock the invoice and then
the payment, and do nothing when the payment is already where they would put it, so a replayed event, a
concurrent delivery or a late failure changes nothing.

Success hooks: `on_payment_succeeded(hook)` registers `hook(payment, invoice)`, called in the same transaction
after the balance moved. The marketplace's (a paid invoice completes its sale) is marketplace/sales/paid_online.py.

Lock order, as in the sales code (marketplace/sales/invoicing.py): the sale's row (for a marketplace invoice), then
the invoice's, then the payment's. A seller marking the sale completed while its card payment succeeds then
queues instead of deadlocking; whichever comes second finds the invoice paid (the card payment is then recorded
as overpaid, for the breeder to refund).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.mail import send_template
from app.money import format_money
from models import (
    ActorKind,
    Contact,
    Invoice,
    InvoiceStatus,
    MarketplaceTransaction,
    MarketplaceUser,
    Payment,
    PaymentStatus,
    record_audit,
)
from models.types import utcnow
from payments.queries import UNSCOPED, lock_invoice, lock_payment

log = logging.getLogger(__name__)

SuccessHook = Callable[[Payment, Invoice], None]
_success_hooks: list[SuccessHook] = []


def on_payment_succeeded(hook: SuccessHook) -> SuccessHook:
    _success_hooks.append(hook)
    return hook


@dataclass(frozen=True)
class Receipt:
    """The receipt e-mail, sent after the transaction that recorded the payment commits."""

    to: str
    context: dict[str, Any]

    def send(self) -> None:
        """A mail failure must not fail the request: the payment is recorded, and the page shows the receipt."""
        try:
            send_template(self.to, "payment_receipt", **self.context)
        except Exception:
            log.exception(
                "could not send the receipt for invoice %s to its payer", self.context.get("number")
            )


def _lock_invoice_of(payment_id: int) -> Invoice:
    """Lock the payment's sale (if its invoice has one), then its invoice; see the lock order above."""
    invoice_id, sale_id = db.session.execute(
        select(Payment.invoice_id, Invoice.marketplace_transaction_id)
        .join(Invoice, Invoice.id == Payment.invoice_id)
        .where(Payment.id == payment_id)
        .execution_options(**UNSCOPED)
    ).one()
    if sale_id is not None:
        db.session.scalars(
            select(MarketplaceTransaction)
            .where(MarketplaceTransaction.id == sale_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one_or_none()
    return lock_invoice(invoice_id)


def _apply_to_invoice(invoice: Invoice, received_cents: int) -> int:
    """Lower the balance by what was received, never below 0; return the excess (0 when none). An invoice that
    is no longer open (voided, or paid another way meanwhile) takes nothing: all of it is excess."""
    if not invoice.is_open:
        return received_cents
    applied = max(0, min(received_cents, invoice.balance_cents))
    invoice.balance_cents -= applied
    invoice.status = InvoiceStatus.PAID if invoice.balance_cents <= 0 else InvoiceStatus.PARTIALLY_PAID
    return received_cents - applied


def settle_success(
    payment_id: int, received_cents: int, payer: dict[str, str], paid_at: datetime | None = None
) -> Receipt | None:
    """The payment succeeded for received_cents: record it, lower the balance, run the hooks. Returns the receipt
    to send after commit, or None when the payment had already succeeded (nothing changed).

    A payment marked failed that Stripe later reports as succeeded is recorded as succeeded: the money arrived.
    """
    invoice = _lock_invoice_of(payment_id)
    payment = lock_payment(payment_id)
    if payment.status == PaymentStatus.SUCCEEDED:
        return None
    before = {
        "status": payment.status,
        "invoice_status": invoice.status,
        "balance_cents": invoice.balance_cents,
    }
    excess = _apply_to_invoice(invoice, received_cents)
    payment.status = PaymentStatus.SUCCEEDED
    payment.amount_cents = received_cents
    payment.paid_at = paid_at or utcnow()
    payment.overpaid_cents = excess or None
    if excess:
        log.warning(
            "payment %s on invoice %s brought %s more than the balance; recorded as overpaid for the breeder",
            payment.id,
            invoice.number,
            format_money(excess, invoice.currency),
        )
    record_audit(
        db.session,
        actor_kind=ActorKind.SYSTEM,
        actor_id=None,
        action="payment.succeeded",
        subject_table="Payment",
        subject_id=payment.id,
        tenant_id=invoice.tenant_id,
        before=before,
        after={
            "status": payment.status,
            "amount_cents": received_cents,
            "overpaid_cents": payment.overpaid_cents,
            "invoice_status": invoice.status,
            "balance_cents": invoice.balance_cents,
            "stripe_payment_intent_id": payment.stripe_payment_intent_id,
        },
    )
    for hook in _success_hooks:
        hook(payment, invoice)
    db.session.flush()
    return _receipt(payment, invoice, payer)


def settle_failure(payment_id: int) -> bool:
    """The payment failed or was cancelled: the invoice's payment lock ends. Only a pending payment moves; a
    late failure never undoes a success. Returns whether anything changed."""
    _lock_invoice_of(payment_id)
    payment = lock_payment(payment_id)
    if payment.status != PaymentStatus.PENDING:
        return False
    payment.status = PaymentStatus.FAILED
    db.session.flush()
    return True


def _payer_email(payer: dict[str, str]) -> str | None:
    """The address of whoever paid, from the ids the intent carries in its metadata."""
    if payer.get("contact_id", "").isdigit():
        contact = db.session.scalars(
            select(Contact).where(Contact.id == int(payer["contact_id"])).execution_options(**UNSCOPED)
        ).one_or_none()
        if contact is not None:
            return contact.email or (contact.party.email if contact.party else None)
    if payer.get("marketplace_user_id", "").isdigit():
        user = db.session.get(MarketplaceUser, int(payer["marketplace_user_id"]))
        if user is not None:
            return user.email
    return None


def _receipt(payment: Payment, invoice: Invoice, payer: dict[str, str]) -> Receipt | None:
    to = _payer_email(payer)
    if not to:
        log.warning("payment %s succeeded but its payer has no e-mail address; no receipt sent", payment.id)
        return None
    return Receipt(
        to,
        {
            "breeder": invoice.tenant.name,
            "number": invoice.number,
            "amount": format_money(payment.amount_cents, invoice.currency),
            "overpaid": format_money(payment.overpaid_cents, invoice.currency)
            if payment.overpaid_cents
            else None,
            "balance": format_money(invoice.balance_cents, invoice.currency),
            "card": card_label(payment),
            "paid_at": payment.paid_at,
        },
    )


def card_label(payment: Payment) -> str:
    """'Visa ending in 4242', or 'Card' when Stripe told us nothing."""
    brand = (payment.card_brand or "Card").replace("_", " ")
    brand = brand[:1].upper() + brand[1:]
    return f"{brand} ending in {payment.card_last4}" if payment.card_last4 else brand
