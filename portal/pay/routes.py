"""Pay now: a client pays one of their invoices by card, then watches the payment go through.

GET/POST /invoices/<id>/pay  the amount and the card (Stripe.js); ?authenticate=<payment id> runs the card's
                             authentication step when Stripe asks for one. The only page whose
                             Content-Security-Policy admits Stripe's origins.
GET /invoices/<id>/payments/<payment id>  "Processing" until the webhook records the payment, then "Paid" with the
                             receipt. htmx polls its status block; without JavaScript a meta refresh does.
"""

from __future__ import annotations

import contextlib
import logging

from flask import flash, redirect, request, url_for
from werkzeug.wrappers import Response

from app.embedded_stripe import EmbeddedStripeError
from app.errors import render_error
from app.extensions import htmx, limiter
from app.forms import render_form
from app.security import allow_on_this_page
from app.templating import render_page_or_block
from models import Invoice, PaymentStatus
from payments.forms import PayForm
from payments.gateway import Gateway, gateway, payments_enabled
from payments.queries import InvoiceBusy, open_online_payment
from payments.service import (
    PaymentRefused,
    PaymentUnavailable,
    client_secret_for,
    payable_problem,
    pending_progress,
    start_payment,
)
from payments.settlement import card_label
from portal import bp, limits
from portal.access import portal_login_required, signed_in_contact
from portal.invoices.queries import invoice_for_contact_or_404
from portal.pay.queries import payer_for, payment_for_contact_or_404
from portal.tenancy import portal_tenant

log = logging.getLogger(__name__)

PAY_TEMPLATE = "portal/pay/pay.html"
UNAVAILABLE = (
    "We could not reach the card payment service, so your payment could not go ahead right now. If a payment "
    "was already on its way, it will show on the invoice shortly; otherwise please try again in a few minutes."
)
BUSY = "Another payment for this invoice is being processed. Please wait a moment and try again."
TEST_CARDS = (
    ("4242424242424242", "succeeds"),
    ("4000000000000341", "is declined"),
    ("4000002500003155", "asks for authentication"),
)


def _status_url(invoice: Invoice, payment_id: int) -> str:
    return url_for(
        "portal.payment_status",
        tenant_slug=portal_tenant().slug,
        invoice_id=invoice.id,
        payment_id=payment_id,
    )


def _pay_page(form: PayForm, invoice: Invoice, found: Gateway | None, status: int | None = None, **context):
    if found is not None:
        allow_on_this_page(found.csp_sources())
    return render_form(
        PAY_TEMPLATE,
        form,
        status,
        tenant=portal_tenant(),
        invoice=invoice,
        gateway=found,
        test_cards=TEST_CARDS if found is not None and found.publishable_key.startswith("pk_test_") else (),
        **context,
    )


def _unavailable() -> tuple[str, int]:
    return render_error(503, UNAVAILABLE)


def _authentication_step(invoice: Invoice, raw_id: str) -> str | Response | None:
    """The client secret for ?authenticate=<payment id>, or a redirect to the payment's page when there is no
    authentication to do (any more)."""
    if not raw_id.isdigit() or len(raw_id) > 10:
        return None
    payment = payment_for_contact_or_404(signed_in_contact(), invoice.id, int(raw_id))
    secret = client_secret_for(payment) if payment.status == PaymentStatus.PENDING else None
    return secret or redirect(_status_url(invoice, payment.id))


@bp.route("/invoices/<int:invoice_id>/pay", methods=["GET", "POST"])
@portal_login_required
@limiter.limit(limits.PAY_PER_CONTACT, key_func=limits.contact_key, methods=["POST"])
def pay(tenant_slug: str, invoice_id: int):
    contact = signed_in_contact()
    invoice = invoice_for_contact_or_404(contact, invoice_id)
    form = PayForm(invoice)
    if not payments_enabled():
        return _pay_page(form, invoice, None, 503, problem="Online payment is not available.")
    problem = payable_problem(invoice)
    if problem:
        return _pay_page(form, invoice, None, 409, problem=problem)
    found: Gateway | None = None
    try:
        found = gateway()
        client_secret = None
        if request.method == "GET" and request.args.get("authenticate"):
            step = _authentication_step(invoice, request.args["authenticate"])
            if isinstance(step, Response):
                return step
            client_secret = step
        if not form.validate_on_submit():
            in_progress = open_online_payment(invoice.id) if not client_secret else None
            return _pay_page(
                form,
                invoice,
                found,
                client_secret=client_secret,
                in_progress=in_progress,
                in_progress_url=_status_url(invoice, in_progress.id) if in_progress else None,
            )
        started = start_payment(invoice, form.amount_cents or 0, form.stripe_token.data, payer_for(contact))
    except PaymentRefused as refused:
        form.form_errors.append(refused.message)
        return _pay_page(form, invoice, found)
    except InvoiceBusy:
        form.form_errors.append(BUSY)
        return _pay_page(form, invoice, found, 409)
    except (PaymentUnavailable, EmbeddedStripeError) as error:
        log.warning("Pay now for invoice %s answered 503: %s", invoice.number, error)
        return _unavailable()
    if started.receipt is not None:
        started.receipt.send()
    if started.needs_authentication:
        target = url_for(
            "portal.pay", tenant_slug=tenant_slug, invoice_id=invoice.id, authenticate=started.payment.id
        )
        return redirect(target, 303)
    return redirect(_status_url(invoice, started.payment.id), 303)


@bp.get("/invoices/<int:invoice_id>/payments/<int:payment_id>")
@portal_login_required
def payment_status(tenant_slug: str, invoice_id: int, payment_id: int):
    contact = signed_in_contact()
    payment = payment_for_contact_or_404(contact, invoice_id, payment_id)
    progress, message = "processing", None
    # A full page asks Stripe where a pending payment stands (a failed authentication sends no event from
    # localstripe); the htmx polls read our own records only.
    if payment.status == PaymentStatus.PENDING and not htmx:
        with contextlib.suppress(PaymentUnavailable):
            progress, message = pending_progress(payment)
    if progress == "authenticate":
        flash("Your bank asks you to confirm this payment.", "info")
        return redirect(
            url_for("portal.pay", tenant_slug=tenant_slug, invoice_id=invoice_id, authenticate=payment.id)
        )
    invoice = payment.invoice
    return render_page_or_block(
        "portal/pay/status.html",
        "payment_status",
        tenant=portal_tenant(),
        invoice=invoice,
        payment=payment,
        card=card_label(payment),
        message=message,
        status_url=_status_url(invoice, payment.id),
    )
