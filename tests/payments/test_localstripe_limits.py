"""What localstripe 1.15 does with the one payment path we use, and where it differs from real Stripe (the
README's "Payments: localstripe vs real Stripe" list). If an upgrade changes any of this, this file says so."""

from __future__ import annotations

import pytest
import stripe

from tests.stripe_server import CARD_AUTHENTICATE, CARD_DECLINED, CARD_OK, LocalStripe, unconfirmed_intent


def _customer_and_intent(localstripe: LocalStripe, number: str):
    return unconfirmed_intent(
        localstripe.client, localstripe.token(number), 1_234, metadata={"invoice_id": "7"}
    )


def test_a_token_becomes_a_customers_card_with_brand_and_last_four(localstripe):
    customer, intent = _customer_and_intent(localstripe, CARD_OK)
    card = customer.default_source
    assert (card.object, card.brand, card.last4) == ("card", "Visa", "4242")  # every card is a Visa there
    assert intent.status == "requires_confirmation"
    assert "amount_received" not in intent  # real Stripe has it; we fall back to amount


def test_4242_succeeds_when_confirmed_on_the_server(localstripe):
    _, intent = _customer_and_intent(localstripe, CARD_OK)
    assert localstripe.client.v1.payment_intents.confirm(intent.id).status == "succeeded"


def test_0341_is_saved_but_declined_when_charged_without_naming_the_intent(localstripe):
    _, intent = _customer_and_intent(localstripe, CARD_DECLINED)
    with pytest.raises(stripe.CardError) as declined:
        localstripe.client.v1.payment_intents.confirm(intent.id)
    assert declined.value.user_message == "Your card was declined." and declined.value.code == "card_declined"
    assert "payment_intent" not in declined.value.json_body["error"]  # real Stripe includes it
    after = localstripe.client.v1.payment_intents.retrieve(intent.id)
    assert after.status == "requires_payment_method" and after.last_payment_error.code == "card_declined"


def test_0002_is_declined_when_saved(localstripe):
    with pytest.raises(stripe.CardError):
        localstripe.client.v1.customers.create(params={"source": localstripe.token("4000000000000002")})


def test_3155_asks_for_authentication_which_its_stripe_js_performs(localstripe):
    _, intent = _customer_and_intent(localstripe, CARD_AUTHENTICATE)
    intent = localstripe.client.v1.payment_intents.confirm(intent.id)
    assert intent.status == "requires_action" and intent.next_action.type == "use_stripe_sdk"
    assert localstripe.authenticate(intent.id, intent.client_secret)["status"] == "succeeded"


def test_a_new_card_cannot_be_confirmed_on_an_intent_waiting_for_authentication(localstripe):
    customer, intent = _customer_and_intent(localstripe, CARD_AUTHENTICATE)
    client = localstripe.client
    client.v1.payment_intents.confirm(intent.id)
    card = client.v1.customers.payment_sources.create(
        customer.id, params={"source": localstripe.token(CARD_OK)}
    )
    # Real Stripe would move to requires_confirmation; localstripe keeps waiting for authentication.
    assert (
        client.v1.payment_intents.update(intent.id, params={"payment_method": card.id}).status
        == "requires_action"
    )
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.confirm(intent.id)
    assert client.v1.payment_intents.cancel(intent.id).status == "canceled"


def test_its_events_are_signed_like_stripes_but_carry_an_old_shape(localstripe):
    _, intent = _customer_and_intent(localstripe, CARD_OK)
    localstripe.client.v1.payment_intents.confirm(intent.id)
    body = localstripe.event_body(intent.id, "payment_intent.succeeded")

    event = stripe.Webhook.construct_event(body, localstripe.signature(body), localstripe.webhook_secret)

    assert event.type == "payment_intent.succeeded" and event.api_version == "2017-08-15"
    assert event.data.object.metadata.to_dict() == {"invoice_id": "7"}
    assert event.data.object.latest_charge.object == "charge"  # an expanded object; real Stripe sends its id


def test_it_ignores_idempotency_keys_and_refuses_what_it_does_not_implement(localstripe):
    client = localstripe.client
    same_key = {"idempotency_key": "one-key"}
    first = client.v1.customers.create(params={"email": "a@example.test"}, options=same_key)
    second = client.v1.customers.create(params={"email": "a@example.test"}, options=same_key)
    assert first.id != second.id  # real Stripe would return the first one again

    for params in (
        {"description": "x"},
        {"payment_method_data": {"type": "card"}},
        {"receipt_email": "a@b.c"},
    ):
        with pytest.raises(stripe.InvalidRequestError, match="Unexpected"):
            client.v1.payment_intents.create(params={"amount": 500, "currency": "usd", **params})
    with pytest.raises(stripe.APIError):
        client.v1.checkout.sessions.create(params={"mode": "payment"})  # 404: no Checkout
    # Real Stripe refuses a USD intent under 50 cents; our floor of $1.00 keeps us clear of both.
    assert client.v1.payment_intents.create(params={"amount": 1, "currency": "usd"}).amount == 1
