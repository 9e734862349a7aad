"""The payment pages both faces show, written once: "Pay now" (the amount and the card, and the card's
authentication step when Stripe asks for one) and the payment's own page ("Processing" until the webhook records
it, then "Paid" with the receipt).

Each face keeps its own routes, sign-in guard, rate limit and ownership queries (portal/pay/routes.py,
marketplace/pay/routes.py) and describes itself in a PaymentFace: where its pages live, the layout they extend,
and how it finds one of the payer's payments (a 404 for anyone else's). Everything else is here, with one pair of
templates (templates/_payments/pay.html and status.html). The payment page is the only one whose
Content-Security-Policy admits Stripe's origins.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import flash, redirect, request, url_for
from werkzeug.wrappers import Response

from app.embedded_stripe import EmbeddedStripeError
from app.errors import render_error
from app.extensions import htmx
from app.forms import render_form
from app.security import allow_on_this_page
from app.templating import render_page_or_block
from documents.links import DocumentLinks
from models import Invoice, Payment, PaymentStatus
from payments.forms import PayForm
from payments.gateway import Gateway, gateway, payments_enabled
from payments.queries import InvoiceBusy, open_online_payment
from payments.service import (
    Payer,
    PaymentRefused,
    PaymentUnavailable,
    client_secret_for,
    payable_problem,
    pending_progress,
    start_payment,
)
from payments.settlement import card_label

log = logging.getLogger(__name__)

PAY_TEMPLATE = "_payments/pay.html"
STATUS_TEMPLATE = "_payments/status.html"
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


@dataclass(frozen=True)
class PaymentFace:
    """Where one face's payment pages live and how it finds the payer's payments.

    The endpoints take `invoice_id` (and the status page `payment_id`) plus the face's own `url_args` (the
    portal's tenant_slug). `payment_or_404(invoice_id, payment_id)` returns an online payment on one of the
    payer's invoices, or aborts with 404."""

    pay_endpoint: str
    status_endpoint: str
    invoice_endpoint: str
    layout: str
    title_suffix: str
    payment_or_404: Callable[[int, int], Payment]
    documents: DocumentLinks  # where the face serves the receipt's PDF
    url_args: Mapping[str, Any] = field(default_factory=dict)

    def pay_url(self, invoice_id: int, **args: Any) -> str:
        return url_for(self.pay_endpoint, invoice_id=invoice_id, **self.url_args, **args)

    def status_url(self, invoice_id: int, payment_id: int | str) -> str:
        return url_for(self.status_endpoint, invoice_id=invoice_id, payment_id=payment_id, **self.url_args)

    def invoice_url(self, invoice_id: int) -> str:
        return url_for(self.invoice_endpoint, invoice_id=invoice_id, **self.url_args)


def _pay_page(
    face: PaymentFace,
    form: PayForm,
    invoice: Invoice,
    found: Gateway | None,
    status: int | None = None,
    **context: Any,
) -> tuple[str, int]:
    if found is not None:
        allow_on_this_page(found.csp_sources())
    return render_form(
        PAY_TEMPLATE,
        form,
        status,
        face=face,
        tenant=invoice.tenant,
        invoice=invoice,
        gateway=found,
        test_cards=TEST_CARDS if found is not None and found.publishable_key.startswith("pk_test_") else (),
        **context,
    )


def _authentication_step(face: PaymentFace, invoice: Invoice, raw_id: str) -> str | Response | None:
    """The client secret for ?authenticate=<payment id>, or a redirect to the payment's page when there is no
    authentication to do (any more)."""
    if not raw_id.isdigit() or len(raw_id) > 10:
        return None
    payment = face.payment_or_404(invoice.id, int(raw_id))
    secret = client_secret_for(payment) if payment.status == PaymentStatus.PENDING else None
    return secret or redirect(face.status_url(invoice.id, payment.id))


def pay_page(face: PaymentFace, invoice: Invoice, payer: Payer):
    """GET: the form (or the authentication step); POST: start the payment, then 303 to its page (or to the
    authentication step); a decline is the form again with Stripe's message. `invoice` is already the payer's."""
    form = PayForm(invoice)
    if not payments_enabled():
        return _pay_page(face, form, invoice, None, 503, problem="Online payment is not available.")
    problem = payable_problem(invoice)
    if problem:
        return _pay_page(face, form, invoice, None, 409, problem=problem)
    found: Gateway | None = None
    try:
        found = gateway()
        client_secret = None
        if request.method == "GET" and request.args.get("authenticate"):
            step = _authentication_step(face, invoice, request.args["authenticate"])
            if isinstance(step, Response):
                return step
            client_secret = step
        if not form.validate_on_submit():
            in_progress = open_online_payment(invoice.id) if not client_secret else None
            return _pay_page(face, form, invoice, found, client_secret=client_secret, in_progress=in_progress)
        started = start_payment(invoice, form.amount_cents or 0, form.stripe_token.data, payer)
    except PaymentRefused as refused:
        form.form_errors.append(refused.message)
        return _pay_page(face, form, invoice, found)
    except InvoiceBusy:
        form.form_errors.append(BUSY)
        return _pay_page(face, form, invoice, found, 409)
    except (PaymentUnavailable, EmbeddedStripeError) as error:
        log.warning("Pay now for invoice %s answered 503: %s", invoice.number, error)
        return render_error(503, UNAVAILABLE)
    if started.receipt is not None:
        started.receipt.send()
    if started.needs_authentication:
        return redirect(face.pay_url(invoice.id, authenticate=started.payment.id), 303)
    return redirect(face.status_url(invoice.id, started.payment.id), 303)


def status_page(face: PaymentFace, invoice_id: int, payment_id: int):
    """The payment's page: "Processing" until the webhook records the payment, then "Paid" with the receipt, or
    "Not paid". htmx polls its status block; without JavaScript a meta refresh does."""
    payment = face.payment_or_404(invoice_id, payment_id)
    progress, message = "processing", None
    # A full page asks Stripe where a pending payment stands (a failed authentication sends no event from
    # localstripe); the htmx polls read our own records only.
    if payment.status == PaymentStatus.PENDING and not htmx:
        with contextlib.suppress(PaymentUnavailable):
            progress, message = pending_progress(payment)
    if progress == "authenticate":
        flash("Your bank asks you to confirm this payment.", "info")
        return redirect(face.pay_url(invoice_id, authenticate=payment.id))
    invoice = payment.invoice
    return render_page_or_block(
        STATUS_TEMPLATE,
        "payment_status",
        face=face,
        tenant=invoice.tenant,
        invoice=invoice,
        payment=payment,
        card=card_label(payment),
        message=message,
    )
