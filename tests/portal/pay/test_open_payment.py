"""Payment mode locking: an invoice has one open online payment at most. A second "Pay now" reuses it, or cancels
and replaces it when it no longer fits; Stripe being unreachable neither loses nor strands it."""

from __future__ import annotations

import pytest
from psycopg.errors import UniqueViolation
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from models import AuditEvent, Payment
from tests.stripe_server import CARD_AUTHENTICATE, CARD_OK, online_payments, unconfirmed_intent


def _intent(localstripe, payment: Payment):
    return localstripe.client.v1.payment_intents.retrieve(payment.stripe_payment_intent_id)


def test_the_database_allows_one_open_online_payment_per_invoice(payee):
    def pending(intent_id: str | None) -> Payment:
        return Payment(
            tenant_id=payee.invoice.tenant_id,
            invoice_id=payee.invoice.id,
            amount_cents=100,
            status="pending",
            stripe_payment_intent_id=intent_id,
        )

    db.session.add_all(
        [pending("pi_one"), pending(None), pending(None)]
    )  # offline pending ones are not limited
    db.session.flush()
    with pytest.raises(IntegrityError) as refused, db.session.begin_nested():
        db.session.add(pending("pi_two"))
        db.session.flush()
    assert isinstance(refused.value.orig, UniqueViolation)
    assert "Payment_invoiceId_open_online_key" in str(refused.value)


def test_a_second_pay_now_after_stripe_took_the_money_charges_nothing_and_records_it(
    client, payee, pay_now, deliver, localstripe
):
    first = pay_now(card=CARD_OK)
    (payment,) = online_payments(payee.invoice)
    assert _intent(localstripe, payment).status == "succeeded"  # its webhook has not arrived yet

    second = pay_now(card=CARD_OK)

    assert second.status_code == 303 and second.headers["Location"] == first.headers["Location"]
    (payment,) = online_payments(payee.invoice)  # no second Payment, no second intent
    assert payment.status == "succeeded" and payee.invoice.balance_cents == 0
    # The webhook then finds nothing left to do.
    assert (
        deliver(
            localstripe.event_body(payment.stripe_payment_intent_id, "payment_intent.succeeded")
        ).status_code
        == 200
    )
    assert payee.invoice.balance_cents == 0
    assert db.session.query(AuditEvent).filter_by(subject_table="Payment", subject_id=payment.id).count() == 1


def test_another_amount_cancels_the_open_intent_and_replaces_it(client, payee, pay_now, localstripe):
    pay_now(card=CARD_AUTHENTICATE)  # open, waiting for authentication
    (old,) = online_payments(payee.invoice)
    page = client.get(payee.pay_url).get_data(as_text=True)
    assert "A card payment of $100.00 for this invoice is already under way" in page
    assert f"/payments/{old.id}" in page

    assert pay_now(amount="50", card=CARD_OK).status_code == 303

    old, new = online_payments(payee.invoice)
    assert (old.status, new.status, new.amount_cents) == ("failed", "pending", 5_000)
    assert _intent(localstripe, old).status == "canceled"
    assert _intent(localstripe, new).status == "succeeded"


def test_the_same_amount_after_a_failed_authentication_reuses_the_open_intent_with_the_new_card(
    payee, pay_now, localstripe
):
    pay_now(card=CARD_AUTHENTICATE)
    (payment,) = online_payments(payee.invoice)
    intent = _intent(localstripe, payment)
    localstripe.authenticate(intent.id, intent.client_secret, success=False)

    assert pay_now(card=CARD_OK).status_code == 303

    (reused,) = online_payments(payee.invoice)
    assert reused.id == payment.id and reused.stripe_payment_intent_id == intent.id
    assert (reused.status, reused.card_last4) == ("pending", "4242")
    assert _intent(localstripe, reused).status == "succeeded"


def test_an_intent_saved_but_never_confirmed_is_confirmed_by_the_next_attempt(payee, pay_now, localstripe):
    # As "Pay now" leaves things when Stripe stops answering between saving the Payment and confirming it.
    _, intent = unconfirmed_intent(localstripe.client, localstripe.token(CARD_OK), 10_000)
    db.session.add(
        Payment(
            tenant_id=payee.invoice.tenant_id,
            invoice_id=payee.invoice.id,
            amount_cents=10_000,
            status="pending",
            method="card",
            stripe_payment_intent_id=intent.id,
        )
    )
    db.session.flush()

    assert pay_now(card=CARD_OK).status_code == 303

    (payment,) = online_payments(payee.invoice)
    assert payment.stripe_payment_intent_id == intent.id and payment.status == "pending"
    assert _intent(localstripe, payment).status == "succeeded"


def test_stripe_unreachable_answers_a_friendly_page_and_the_next_attempt_recovers_the_open_payment(
    client, payee, pay_now, pay_form, localstripe
):
    pay_now(card=CARD_AUTHENTICATE)
    (payment,) = online_payments(payee.invoice)
    form = pay_form()
    with localstripe.stopped():
        response = client.post(payee.pay_url, data=form)
        authenticate = client.get(f"{payee.pay_url}?authenticate={payment.id}")
        status_page = client.get(f"/portal/sunny/invoices/{payee.invoice.id}/payments/{payment.id}")

    assert response.status_code == authenticate.status_code == 503
    assert "We could not reach the card payment service" in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    assert status_page.status_code == 200 and "Processing" in status_page.get_data(as_text=True)
    (kept,) = online_payments(payee.invoice)  # not lost, not failed
    assert (kept.id, kept.status, kept.stripe_payment_intent_id) == (
        payment.id,
        "pending",
        payment.stripe_payment_intent_id,
    )

    assert pay_now(card=CARD_OK).status_code == 303  # the next attempt: the old intent is replaced, not stuck

    old, new = online_payments(payee.invoice)
    assert (old.id, old.status, new.status) == (payment.id, "failed", "pending")
    assert _intent(localstripe, new).status == "succeeded"


def test_stripe_unreachable_on_a_first_attempt_saves_nothing(client, payee, pay_form, localstripe):
    form = pay_form()
    with localstripe.stopped():
        response = client.post(payee.pay_url, data=form)

    assert response.status_code == 503
    assert online_payments(payee.invoice) == []
