"""A client pays an invoice by card: success, decline, authentication, a partial payment then the rest, and the
pages around it (the Pay now button, the payment page's policy, Processing then Paid with the receipt)."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.security import CSP
from models import AuditEvent
from tests.portal.pay.conftest import STATUS_URL_RE
from tests.stripe_server import CARD_AUTHENTICATE, CARD_DECLINED, CARD_OK, online_payments


def _receipts(app) -> list:
    return [m for m in app.extensions.get("outbox", []) if m["Subject"].startswith("Receipt")]


def test_an_open_invoice_offers_pay_now(client, payee):
    page = client.get(payee.invoice_url).get_data(as_text=True)
    assert f'href="{payee.pay_url}"' in page and "Pay now" in page


def test_paid_and_void_invoices_offer_no_pay_now(client, payee):
    for status in ("paid", "void"):
        payee.invoice.status = status
        db.session.flush()
        page = client.get(payee.invoice_url).get_data(as_text=True)
        assert "Pay now" not in page, status


def test_the_payment_page_shows_the_balance_the_card_fields_and_the_test_cards(client, payee, localstripe):
    response = client.get(payee.pay_url)
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert 'value="100.00"' in page  # the amount defaults to the balance due
    assert 'id="card-element"' in page
    assert f'src="{localstripe.server.js_url}"' in page
    for number in ("4242 4242 4242 4242", "4000 0000 0000 0341", "4000 0025 0000 3155"):
        assert number in page


def test_only_the_payment_page_admits_the_stripe_origin_in_its_policy(client, payee, localstripe, pay_now):
    policy = client.get(payee.pay_url).headers["Content-Security-Policy"]
    directives = dict(part.split(" ", 1) for part in policy.split("; "))
    assert directives["script-src"] == f"'self' {localstripe.base_url}"
    assert directives["connect-src"] == f"'self' {localstripe.base_url}"
    assert "frame-src" not in directives  # localstripe's card fields are plain inputs, no frames
    assert directives["default-src"] == "'none'" and directives["frame-ancestors"] == "'none'"

    status_url = pay_now().headers["Location"]
    for url in (payee.invoice_url, f"/portal/{payee.invoice.tenant.slug}/invoices", status_url, "/"):
        assert client.get(url).headers["Content-Security-Policy"] == CSP, url


def test_real_stripe_origins_and_frames_are_what_the_payment_page_adds_in_production(app):
    from payments.gateway import _configured_gateway

    gateway = _configured_gateway(
        {
            "STRIPE_SECRET_KEY": "sk_live_x",
            "STRIPE_PUBLISHABLE_KEY": "pk_live_x",
            "STRIPE_WEBHOOK_SECRET": "whsec_x",
        }
    )
    assert gateway.csp_sources() == {
        "script-src": ("https://js.stripe.com", "https://*.js.stripe.com"),
        "connect-src": ("https://api.stripe.com",),
        "frame-src": ("https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com"),
    }


def test_a_card_payment_is_processing_until_the_webhook_then_paid_with_a_receipt(
    app, client, payee, pay_now, deliver, localstripe
):
    app.extensions["outbox"] = []
    response = pay_now(card=CARD_OK)

    assert response.status_code == 303
    assert STATUS_URL_RE.search(response.headers["Location"])
    (payment,) = online_payments(payee.invoice)
    assert (payment.status, payment.amount_cents, payment.paid_at) == ("pending", 10_000, None)
    assert (payment.card_brand, payment.card_last4, payment.method) == ("Visa", "4242", "card")
    intent = localstripe.client.v1.payment_intents.retrieve(payment.stripe_payment_intent_id)
    assert intent.metadata.to_dict() == {
        "invoice_id": str(payee.invoice.id),
        "invoice_number": "SK-1001",
        "tenant_id": str(payee.invoice.tenant_id),
        "contact_id": str(payee.contact.id),
    }
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Processing" in page and 'hx-trigger="every 2s"' in page and 'http-equiv="refresh"' in page
    assert payee.invoice.balance_cents == 10_000 and not _receipts(app)

    assert deliver(localstripe.event_body(intent.id, "payment_intent.succeeded")).status_code == 200

    (payment,) = online_payments(payee.invoice)
    assert payment.status == "succeeded" and payment.amount_cents == 10_000 and payment.paid_at is not None
    assert payment.overpaid_cents is None
    assert (payee.invoice.status, payee.invoice.balance_cents) == ("paid", 0)
    # The htmx poll gets the status block alone, now final (no more polling).
    block = client.get(response.headers["Location"], headers={"HX-Request": "true"}).get_data(as_text=True)
    assert block.lstrip().startswith('<div id="payment-status"') and "every 2s" not in block
    assert "Paid" in block and "Visa ending in 4242" in block and "$100.00" in block and "SK-1001" in block
    (receipt,) = _receipts(app)
    assert receipt["To"] == "client@example.test"
    assert "Visa ending in 4242" in receipt.get_content() and "SK-1001" in receipt.get_content()
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.subject_table == "Payment")).one()
    assert audit.action == "payment.succeeded" and audit.after["balance_cents"] == 0


def test_a_declined_card_shows_stripes_message_and_leaves_the_invoice_unchanged(
    client, payee, pay_now, localstripe
):
    response = pay_now(card=CARD_DECLINED)

    assert response.status_code == 422
    assert "Your card was declined." in response.get_data(as_text=True)
    (payment,) = online_payments(payee.invoice)
    assert payment.status == "failed"  # the invoice's payment lock ends with it
    assert (payee.invoice.status, payee.invoice.balance_cents) == ("issued", 10_000)
    # The next attempt starts afresh and goes through.
    assert pay_now(card=CARD_OK).status_code == 303
    assert [p.status for p in online_payments(payee.invoice)] == ["failed", "pending"]


def test_a_card_that_asks_for_authentication_goes_through_once_authenticated(
    client, payee, pay_now, deliver, localstripe
):
    response = pay_now(card=CARD_AUTHENTICATE)

    (payment,) = online_payments(payee.invoice)
    assert response.status_code == 303
    assert response.headers["Location"] == f"{payee.pay_url}?authenticate={payment.id}"
    page = client.get(response.headers["Location"])
    intent = localstripe.client.v1.payment_intents.retrieve(payment.stripe_payment_intent_id)
    assert intent.status == "requires_action"
    assert f'data-client-secret="{intent.client_secret}"' in page.get_data(as_text=True)
    assert localstripe.base_url in page.headers["Content-Security-Policy"]

    # What stripe.confirmCardPayment does in the page, then the page goes to the payment's page.
    assert localstripe.authenticate(intent.id, intent.client_secret)["status"] == "succeeded"
    status_url = f"/portal/sunny/invoices/{payee.invoice.id}/payments/{payment.id}"
    assert "Processing" in client.get(status_url).get_data(as_text=True)
    delivered = deliver(localstripe.event_body(intent.id, "payment_intent.succeeded"))
    assert delivered.status_code == 200, delivered.get_data(as_text=True)
    page = client.get(status_url).get_data(as_text=True)
    assert "Paid" in page and "Visa ending in 3155" in page, page
    assert payee.invoice.status == "paid"


def test_a_failed_authentication_ends_the_payment_with_stripes_message(client, payee, pay_now, localstripe):
    pay_now(card=CARD_AUTHENTICATE)
    (payment,) = online_payments(payee.invoice)
    intent = localstripe.client.v1.payment_intents.retrieve(payment.stripe_payment_intent_id)
    localstripe.authenticate(intent.id, intent.client_secret, success=False)

    # localstripe sends no event for this; the payment's page asks Stripe and records the failure.
    page = client.get(f"/portal/sunny/invoices/{payee.invoice.id}/payments/{payment.id}").get_data(
        as_text=True
    )

    assert "The provided PaymentMethod has failed authentication." in page and "Try again" in page
    assert [p.status for p in online_payments(payee.invoice)] == ["failed"]
    assert payee.invoice.balance_cents == 10_000


def test_a_partial_payment_then_the_rest(client, payee, pay_now, deliver, localstripe):
    assert pay_now(amount="40").status_code == 303
    (first,) = online_payments(payee.invoice)
    deliver(localstripe.event_body(first.stripe_payment_intent_id, "payment_intent.succeeded"))
    assert (payee.invoice.status, payee.invoice.balance_cents) == ("partially_paid", 6_000)
    assert 'value="60.00"' in client.get(payee.pay_url).get_data(as_text=True)

    assert pay_now(amount="$60.00").status_code == 303
    first, second = online_payments(payee.invoice)
    assert second.amount_cents == 6_000
    deliver(localstripe.event_body(second.stripe_payment_intent_id, "payment_intent.succeeded"))

    assert (payee.invoice.status, payee.invoice.balance_cents) == ("paid", 0)
    assert [(p.status, p.amount_cents) for p in online_payments(payee.invoice)] == [
        ("succeeded", 4_000),
        ("succeeded", 6_000),
    ]
    assert "Pay now" not in client.get(payee.invoice_url).get_data(as_text=True)
