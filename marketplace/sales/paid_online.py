"""A marketplace invoice paid in full online completes its sale: a payments success hook
(payments.settlement.on_payment_succeeded), run in the webhook's transaction with the sale's row already locked.

pending → completed (models.sales.can_move), the PaymentIntent recorded on the sale, and an AuditEvent by the
system. A sale already completed just gets the intent id; a cancelled or refunded one is left as it is and logged
(the money is on the invoice, and a succeeded payment on a settled invoice is flagged as overpaid for the breeder).
A partly paid invoice leaves its sale pending, and so does a payment that arrived after the invoice was settled
another way (all of it is excess).
"""

from __future__ import annotations

import logging

from app.extensions import db
from marketplace.sales.invoicing import SALE_TABLE
from models import (
    ActorKind,
    Invoice,
    InvoiceStatus,
    MarketplaceTransaction,
    Payment,
    TransactionStatus,
    can_move,
    record_audit,
)
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
