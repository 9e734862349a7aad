"""A seller refunds a completed sale paid by card, fully or partly, from /dashboard/sales.

payments/refunds.py does the Stripe part and the books (the payments' refunds, the invoice's balance); the refund
hook in paid_online.py moves the sale (refunded when nothing paid is left, else it stays completed with the
refunded total) and announces it in the sale's conversation. Here: the sale's row is locked first (the lock order
of every sale change), a repeated form is answered with what it already did, and only a completed sale with an
invoice may be refunded. Off-platform sales keep "Mark refunded" (invoicing.move_sale), which refuses a sale with
card money left to refund.
"""

from __future__ import annotations

from marketplace.sales.invoicing import SaleRefused
from marketplace.sales.queries import invoice_of_sale, sale_for_tenant_or_404
from models import ActorKind, MarketplaceUser, TransactionStatus
from payments.refunds import Actor, Refunded, refund_invoice, refunds_under_key

NOT_PAID_BY_CARD = (
    "Nothing was paid by card for this sale. If you returned the money another way, use “Mark refunded”."
)


def refund_sale(
    sale_id: int, tenant_id: int, amount_cents: int, key: str, seller: MarketplaceUser
) -> Refunded:
    """Refund amount_cents of the sale's card payments. SaleRefused (409) for a sale that is not completed or has
    no invoice; payments.refunds.RefundRefused (422 when too much, 409 when nothing is left to refund);
    PaymentUnavailable when Stripe does not answer. The caller commits (see refund_invoice for RefundRefused)."""
    sale = sale_for_tenant_or_404(sale_id, tenant_id, lock=True)
    invoice = invoice_of_sale(sale.id)
    if invoice is None:
        raise SaleRefused(NOT_PAID_BY_CARD)
    earlier = refunds_under_key(invoice.id, key)
    if earlier:  # the same form again (a double submit): what it did, and nothing more
        return Refunded(invoice, earlier, replayed=True)
    status = sale.status or TransactionStatus.COMPLETED
    if status != TransactionStatus.COMPLETED:
        raise SaleRefused(f"A {status} sale cannot be refunded.")
    return refund_invoice(invoice.id, amount_cents, key, Actor(ActorKind.MARKETPLACE_USER, seller.id))
