"""A marketplace invoice paid in full online completes its sale, and a refund of its card payments that leaves
nothing paid refunds it: a payments success hook (payments.settlement.on_payment_succeeded) and a refund hook
(payments.refunds.on_payment_refunded), run in the transaction that recorded the money, with the sale's row
already locked (payments.queries.lock_sale_and_invoice).

pending → completed (models.sales.can_move), the PaymentIntent recorded on the sale, an AuditEvent by the system,
and a "Paid online" event on the sale's deal card in its conversation (when it was recorded in one; no e-mail:
the buyer gets the receipt). A sale already completed just gets the intent id (and the event); a cancelled or refunded one is left as it is and logged
(the money is on the invoice, and a succeeded payment on a settled invoice is flagged as overpaid for the breeder).
A partly paid invoice leaves its sale pending, and so does a payment that arrived after the invoice was settled
another way (all of it is excess).

Refunds (the seller's, from /dashboard/sales, or Stripe's own recorded by the webhook) of a completed sale:
- nothing paid is left on the invoice (its balance is back to its amount): completed → refunded, audited as
  `sale.refunded_online`;
- something is left (a partial refund, or a part paid off the platform): the sale stays completed, audited as
  `sale.refunded_in_part` with the refunded total, which the sales list shows beside the amount.
Either way the conversation gets a "Refunded by card" event. A refund on a sale that is not completed (a pending
one paid in part) changes only the money.
"""

from __future__ import annotations

import logging

from app.extensions import db
from app.money import format_money
from marketplace.sales.invoicing import SALE_TABLE, announce
from models import (
    ActorKind,
    Invoice,
    InvoiceStatus,
    MarketplaceTransaction,
    Payment,
    PaymentRefund,
    TransactionStatus,
    can_move,
    record_audit,
)
from payments.queries import card_money
from payments.refunds import Actor, on_payment_refunded
from payments.settlement import on_payment_succeeded

log = logging.getLogger(__name__)


@on_payment_succeeded
def complete_sale_paid_online(payment: Payment, invoice: Invoice) -> None:
    if invoice.marketplace_transaction_id is None or invoice.status != InvoiceStatus.PAID:
        return
    if payment.overpaid_cents == payment.amount_cents:
        return  # the invoice was settled another way first; this payment is all excess, for the breeder to refund
    sale = db.session.get(MarketplaceTransaction, invoice.marketplace_transaction_id)
    if sale is None:
        return
    before = {"status": sale.status, "stripe_payment_intent_id": sale.stripe_payment_intent_id}
    if can_move(sale.status, TransactionStatus.COMPLETED):
        sale.status = TransactionStatus.COMPLETED
    elif sale.status != TransactionStatus.COMPLETED:
        log.warning(
            "invoice %s was paid online but its sale %s is %s; the sale is left as it is",
            invoice.number,
            sale.id,
            sale.status,
        )
        return
    sale.stripe_payment_intent_id = sale.stripe_payment_intent_id or payment.stripe_payment_intent_id
    record_audit(
        db.session,
        actor_kind=ActorKind.SYSTEM,
        actor_id=None,
        action="sale.paid_online",
        subject_table=SALE_TABLE,
        subject_id=sale.id,
        tenant_id=sale.provider_tenant_id,
        before=before,
        after={"status": sale.status, "stripe_payment_intent_id": sale.stripe_payment_intent_id},
    )
    paid = format_money(payment.amount_cents, invoice.currency)
    announce(sale, f"Paid online: {paid} by card, invoice {invoice.number} paid in full", notify=False)


@on_payment_refunded
def refund_sale_paid_online(invoice: Invoice, refunds: list[PaymentRefund], actor: Actor) -> None:
    if invoice.marketplace_transaction_id is None:
        return
    sale = db.session.get(MarketplaceTransaction, invoice.marketplace_transaction_id)
    if sale is None or sale.status != TransactionStatus.COMPLETED:
        return
    amount = sum(refund.amount_cents for refund in refunds)
    _, refunded = card_money(invoice.id)
    before = {"status": sale.status, "refunded_cents": refunded - amount}
    nothing_paid_left = invoice.balance_cents >= invoice.amount_cents
    if nothing_paid_left and can_move(sale.status, TransactionStatus.REFUNDED):
        sale.status = TransactionStatus.REFUNDED
    record_audit(
        db.session,
        actor_kind=actor.kind,
        actor_id=actor.id,
        action="sale.refunded_online"
        if sale.status == TransactionStatus.REFUNDED
        else "sale.refunded_in_part",
        subject_table=SALE_TABLE,
        subject_id=sale.id,
        tenant_id=sale.provider_tenant_id,
        before=before,
        after={"status": sale.status, "refunded_cents": refunded, "refund_cents": amount},
    )
    given = format_money(amount, invoice.currency)
    if sale.status == TransactionStatus.REFUNDED:
        text = f"Refunded by card: {given}. Sale refunded"
    else:
        text = f"Refunded by card: {given} ({format_money(refunded, invoice.currency)} refunded so far)"
    announce(sale, text, notify=False)
