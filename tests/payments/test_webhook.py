"""POST /webhooks/stripe: verified, recorded once in "StripeEvent", applied once, in any order."""

from __future__ import annotations

import logging
import time

import pytest
from sqlalchemy import func, select

from app.extensions import db
from models import AuditEvent, Invoice, Payment, StripeEvent
from payments.service import Payer, PaymentRefused, start_payment
from tests.factories import (
    ContactFactory,
    InvoiceFactory,
    PartyFactory,
    PaymentFactory,
    TenantFactory,
)
from tests.stripe_server import CARD_DECLINED, CARD_OK, event_payload, online_payments

SUCCEEDED = "payment_intent.succeeded"
FAILED = "payment_intent.payment_failed"


def _events() -> int:
    return db.session.scalar(select(func.count()).select_from(StripeEvent))


def _receipts(app) -> list:
    return [m for m in app.extensions.get("outbox", []) if m["Subject"].startswith("Receipt")]


@pytest.fixture
def invoice() -> Invoice:
    tenant = TenantFactory(slug="sunny", name="Sunny Kennels")
    contact = ContactFactory(party=PartyFactory(tenant=tenant, email="client@example.test"))
    found = InvoiceFactory(client_party=contact.party, number="SK-2001", amount_cents=10_000)
    db.session.flush()
    return found


@pytest.fixture
def payer(invoice) -> Payer:
    (contact,) = invoice.client_party.contacts
    return Payer(email=contact.email, name="Casey", ids={"contact_id": str(contact.id)})


@pytest.fixture
def paid_at_stripe(app, invoice, payer, localstripe) -> Payment:
    """A payment Stripe took (4242), its webhook not delivered yet."""
    app.extensions["outbox"] = []
    started = start_payment(invoice, 10_000, localstripe.token(CARD_OK), payer)
    return started.payment


def _body(localstripe, payment: Payment, event_type: str = SUCCEEDED) -> bytes:
    return localstripe.event_body(payment.stripe_payment_intent_id, event_type)


@pytest.mark.parametrize(
    "tamper",
    ["missing", "garbage", "other secret", "stale", "other body"],
)
def test_a_missing_or_bad_signature_is_refused_and_nothing_is_stored(
    client, localstripe, paid_at_stripe, invoice, tamper
):
    body = _body(localstripe, paid_at_stripe)
    headers = {
        "missing": {},
        "garbage": {"Stripe-Signature": "t=1,v1=abc"},
        "other secret": {"Stripe-Signature": localstripe.signature(body, secret="whsec_not_ours")},
        "stale": {"Stripe-Signature": localstripe.signature(body, timestamp=int(time.time()) - 3600)},
        "other body": {"Stripe-Signature": localstripe.signature(body + b" ")},
    }[tamper]

    response = client.post("/webhooks/stripe", data=body, headers=headers)

    assert response.status_code == 400
    assert _events() == 0
    db.session.expire_all()
    assert paid_at_stripe.status == "pending" and invoice.balance_cents == 10_000


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'{"object": "event"}', b"\xff\xfe"])
def test_a_signed_body_that_is_not_an_event_is_refused(deliver, body):
    assert deliver(body).status_code == 400
    assert _events() == 0


def test_an_unknown_type_is_acknowledged_logged_and_recorded(deliver, caplog):
    body = event_payload("evt_unknown_type", "customer.created", {"id": "cus_x", "object": "customer"})
    with caplog.at_level(logging.INFO, logger="payments.webhooks"):
        assert deliver(body).status_code == 200
    assert "customer.created is not one we handle" in caplog.text
    assert db.session.scalars(select(StripeEvent.type)).all() == ["customer.created"]


def test_an_event_for_an_intent_that_is_not_ours_is_acknowledged_and_logged(
    deliver, caplog, paid_at_stripe, invoice
):
    body = event_payload(
        "evt_not_ours", SUCCEEDED, {"id": "pi_not_ours", "amount": 500, "status": "succeeded"}
    )
    with caplog.at_level(logging.WARNING, logger="payments.webhooks"):
        assert deliver(body).status_code == 200
    assert "pi_not_ours, which is not ours" in caplog.text
    assert _events() == 1
    assert invoice.balance_cents == 10_000


def test_the_same_event_delivered_twice_has_one_effect(app, deliver, localstripe, paid_at_stripe, invoice):
    body = _body(localstripe, paid_at_stripe)

    assert deliver(body).status_code == 200
    assert deliver(body).status_code == 200

    assert (invoice.status, invoice.balance_cents) == ("paid", 0)
    (payment,) = online_payments(invoice)
    assert (payment.status, payment.amount_cents, payment.overpaid_cents) == ("succeeded", 10_000, None)
    assert _events() == 1
    assert db.session.query(AuditEvent).filter_by(action="payment.succeeded").count() == 1
    assert len(_receipts(app)) == 1


def test_a_late_failure_never_undoes_a_success(deliver, localstripe, paid_at_stripe, invoice):
    deliver(_body(localstripe, paid_at_stripe))
    late = event_payload(
        "evt_late_failure",
        FAILED,
        {"id": paid_at_stripe.stripe_payment_intent_id, "status": "requires_payment_method"},
    )

    assert deliver(late).status_code == 200

    (payment,) = online_payments(invoice)
    assert payment.status == "succeeded" and invoice.status == "paid"
    assert _events() == 2


def test_a_success_reported_after_a_failure_is_recorded(deliver, localstripe, paid_at_stripe, invoice):
    failure = event_payload(
        "evt_early_failure",
        FAILED,
        {"id": paid_at_stripe.stripe_payment_intent_id, "status": "requires_payment_method"},
    )
    deliver(failure)
    assert online_payments(invoice)[0].status == "failed"

    deliver(_body(localstripe, paid_at_stripe))

    assert online_payments(invoice)[0].status == "succeeded" and invoice.balance_cents == 0


def test_a_declined_payments_failure_event_changes_nothing_more(deliver, localstripe, invoice, payer):
    with pytest.raises(PaymentRefused, match=r"Your card was declined\."):
        start_payment(invoice, 10_000, localstripe.token(CARD_DECLINED), payer)
    (payment,) = online_payments(invoice)

    assert deliver(_body(localstripe, payment, FAILED)).status_code == 200

    assert online_payments(invoice)[0].status == "failed" and invoice.balance_cents == 10_000


def test_what_is_recorded_is_the_amount_received(deliver, paid_at_stripe, invoice):
    body = event_payload(
        "evt_part",
        SUCCEEDED,
        {
            "id": paid_at_stripe.stripe_payment_intent_id,
            "amount": 10_000,
            "amount_received": 2_500,
            "metadata": {},
        },
    )
    deliver(body)

    (payment,) = online_payments(invoice)
    assert payment.amount_cents == 2_500
    assert (invoice.status, invoice.balance_cents) == ("partially_paid", 7_500)


def test_more_than_the_balance_is_recorded_as_overpaid_and_the_balance_stops_at_zero(
    app, deliver, localstripe, paid_at_stripe, invoice
):
    # The breeder records a cheque while the card payment is on its way.
    PaymentFactory(invoice=invoice, amount_cents=7_000, method="check")
    invoice.balance_cents, invoice.status = 3_000, "partially_paid"
    db.session.flush()

    deliver(_body(localstripe, paid_at_stripe))

    assert (invoice.status, invoice.balance_cents) == ("paid", 0)
    (payment,) = online_payments(invoice)
    assert (payment.amount_cents, payment.overpaid_cents) == (10_000, 7_000)
    (receipt,) = _receipts(app)
    assert "$70.00 more than the invoice still owed" in receipt.get_content()


def test_a_success_for_a_voided_invoice_is_all_overpaid(deliver, localstripe, paid_at_stripe, invoice):
    invoice.status = "void"
    db.session.flush()

    deliver(_body(localstripe, paid_at_stripe))

    (payment,) = online_payments(invoice)
    assert (payment.status, payment.overpaid_cents) == ("succeeded", 10_000)
    assert (invoice.status, invoice.balance_cents) == ("void", 10_000)


def test_the_webhook_takes_only_posts(client):
    assert client.get("/webhooks/stripe").status_code == 405
