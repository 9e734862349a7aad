"""Pay now under "My invoices": the pages are payments/pages.py's, shared with the portal; this module says where
the marketplace's live and whose invoices they are (invoice_for_marketplace_user_or_404: only invoices of the
user's linked client records; anyone else's is a 404).

GET/POST /account/invoices/<id>/pay  the amount and the card; ?authenticate=<payment id> for the card's
                                     authentication step. The only marketplace page that admits Stripe's origins.
GET /account/invoices/<id>/payments/<payment id>  "Processing", then "Paid" with the receipt.

Each runs inside the invoice's breeder (tenant_scope), once the invoice is known to be the user's: a payment
writes that breeder's rows and no other's.
"""

from __future__ import annotations

from app.extensions import limiter
from documents.links import MARKETPLACE_LINKS
from marketplace import bp, limits
from marketplace.access import marketplace_login_required, signed_in_marketplace_user
from marketplace.invoices.queries import (
    invoice_for_marketplace_user_or_404,
    payment_for_marketplace_user_or_404,
    tenant_of_users_invoice_or_404,
)
from marketplace.pay.queries import payer_for
from models import tenant_scope
from payments.pages import PaymentFace, pay_page, status_page


def _face() -> PaymentFace:
    return PaymentFace(
        pay_endpoint="marketplace.pay_invoice",
        status_endpoint="marketplace.invoice_payment",
        invoice_endpoint="marketplace.my_invoice",
        layout="base.html",
        title_suffix=" · Breeder Marketplace",
        payment_or_404=lambda invoice_id, payment_id: payment_for_marketplace_user_or_404(
            signed_in_marketplace_user(), invoice_id, payment_id
        ),
        documents=MARKETPLACE_LINKS,
    )


@bp.route("/account/invoices/<int:invoice_id>/pay", methods=["GET", "POST"])
@marketplace_login_required
@limiter.limit(limits.PAY_PER_USER, key_func=limits.user_key, methods=["POST"])
def pay_invoice(invoice_id: int):
    user = signed_in_marketplace_user()
    invoice = invoice_for_marketplace_user_or_404(user, invoice_id)
    # Paying writes the invoice's breeder's rows: that breeder alone is bound while it does.
    with tenant_scope(invoice.tenant_id):
        return pay_page(_face(), invoice, payer_for(user, invoice))


@bp.get("/account/invoices/<int:invoice_id>/payments/<int:payment_id>")
@marketplace_login_required
def invoice_payment(invoice_id: int, payment_id: int):
    tenant_id = tenant_of_users_invoice_or_404(signed_in_marketplace_user().id, invoice_id)
    with tenant_scope(tenant_id):
        return status_page(_face(), invoice_id, payment_id)
