"""Pay now: a client pays one of their invoices by card, then watches the payment go through. The pages are
payments/pages.py's, shared with the marketplace's "My invoices"; this module says where the portal's live and
whose invoices they are.

GET/POST /invoices/<id>/pay  the amount and the card (Stripe.js); ?authenticate=<payment id> runs the card's
                             authentication step when Stripe asks for one. The only page whose
                             Content-Security-Policy admits Stripe's origins.
GET /invoices/<id>/payments/<payment id>  "Processing" until the webhook records the payment, then "Paid" with the
                             receipt. htmx polls its status block; without JavaScript a meta refresh does.
"""

from __future__ import annotations

from app.extensions import limiter
from documents.links import portal_links
from payments.pages import PaymentFace, pay_page, status_page
from portal import bp, limits
from portal.access import portal_login_required, signed_in_contact
from portal.invoices.queries import invoice_for_contact_or_404
from portal.pay.queries import payer_for, payment_for_contact_or_404
from portal.tenancy import portal_tenant


def _face() -> PaymentFace:
    tenant = portal_tenant()
    return PaymentFace(
        pay_endpoint="portal.pay",
        status_endpoint="portal.payment_status",
        invoice_endpoint="portal.invoice",
        layout="portal/_layout.html",
        title_suffix="",
        payment_or_404=lambda invoice_id, payment_id: payment_for_contact_or_404(
            signed_in_contact(), invoice_id, payment_id
        ),
        documents=portal_links(tenant.slug),
        url_args={"tenant_slug": tenant.slug},
    )


@bp.route("/invoices/<int:invoice_id>/pay", methods=["GET", "POST"])
@portal_login_required
@limiter.limit(limits.PAY_PER_CONTACT, key_func=limits.contact_key, methods=["POST"])
def pay(tenant_slug: str, invoice_id: int):
    contact = signed_in_contact()
    return pay_page(_face(), invoice_for_contact_or_404(contact, invoice_id), payer_for(contact))


@bp.get("/invoices/<int:invoice_id>/payments/<int:payment_id>")
@portal_login_required
def payment_status(tenant_slug: str, invoice_id: int, payment_id: int):
    return status_page(_face(), invoice_id, payment_id)
