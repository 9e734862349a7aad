"""Start a card payment for any Invoice (the portal's "Pay now" today; "My invoices" next), on the one path that
works on both real Stripe and localstripe 1.15 (see the README, "Payments: localstripe vs real Stripe"):

1. the page turns the card into a token with Stripe.js `createToken` (card data never reaches us);
2. we make a Customer with that token as its source (its card is the customer's default source);
3. we create a PaymentIntent for that customer and card, with the invoice, tenant and payer in its metadata,
   and record a pending Payment with the intent's id, committed before any money moves;
4. we confirm the intent. It succeeds (the webhook records it), asks for authentication (the page runs
   `stripe.confirmCardPayment(client_secret)`), or is declined (the Payment fails; the page shows Stripe's words).

Payment mode locking: an invoice has at most one open online payment (Payment_invoiceId_open_online_key), and
"Pay now" runs under a per-invoice lock (payments.queries.pay_now_lock), so a second one (another tab, a double
click) waits for the first, then finds its payment:
- Stripe already took the money (the webhook is on its way, or was lost): record the success now, charge nothing;
- the intent is still being processed: charge nothing, show its progress;
- the intent waits for a card and has the same amount: reuse it with the new card;
- anything else (another amount, or waiting for authentication of another card): cancel it, mark the Payment
  failed (the lock ends) and start again.
Stripe unreachable: PaymentUnavailable; a Payment already saved stays pending, and the next attempt picks it up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import stripe

from app.extensions import db
from app.money import format_money
from models import Invoice, Payment, PaymentStatus
from payments.gateway import gateway
from payments.queries import open_online_payment, pay_now_lock
from payments.settlement import Receipt, settle_failure, settle_success

log = logging.getLogger(__name__)

MINIMUM_CENTS = 100  # $1.00: our floor (Stripe's own is 50 cents for USD; localstripe has none)
CARD_METHOD = "card"
# Intent statuses in which Stripe has the money, or is getting it: never charge again.
SETTLING = ("succeeded", "processing", "requires_capture")
# Intent statuses in which the intent can take another card.
AWAITING_CARD = ("requires_payment_method", "requires_confirmation")
CANCELLABLE = ("requires_payment_method", "requires_confirmation", "requires_action")


class PaymentRefused(Exception):
    """The payment cannot go ahead; `message` is for the payer (a decline is Stripe's own words)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PaymentUnavailable(Exception):
    """Stripe did not answer, or answered with an error that is not the payer's to fix."""


@dataclass(frozen=True)
class Payer:
    """Who pays: the Stripe customer's e-mail and name, and ids for the intent's metadata (they also say where
    the receipt goes)."""

    email: str | None
    name: str | None
    ids: dict[str, str]


@dataclass(frozen=True)
class Started:
    """The payment, and whether the card asks for authentication on the page before it can go through."""

    payment: Payment
    needs_authentication: bool = False
    receipt: Receipt | None = None


def payable_problem(invoice: Invoice) -> str | None:
    """Why this invoice cannot be paid online, or None."""
    if invoice.status == "paid":
        return "This invoice is already paid."
    if invoice.status == "void":
        return "This invoice was cancelled (void), so there is nothing to pay."
    if invoice.status == "draft":
        return "This invoice has not been issued yet."
    if not invoice.is_open or invoice.balance_cents <= 0:
        return "This invoice has no balance due."
    return None


def amount_problem(amount_cents: int, invoice: Invoice) -> str | None:
    if amount_cents < MINIMUM_CENTS:
        return f"The amount must be at least {format_money(MINIMUM_CENTS, invoice.currency)}."
    if amount_cents > invoice.balance_cents:
        return f"The amount can be at most the balance due, {format_money(invoice.balance_cents, invoice.currency)}."
    return None


def _stripe_call(what: str, call, *args, **kwargs):
    """Run one SDK call; a network failure or a Stripe-side error is PaymentUnavailable (the caller's records stay
    as they are), a card error propagates."""
    try:
        return call(*args, **kwargs)
    except stripe.CardError:
        raise
    except stripe.APIConnectionError as error:
        log.warning("Stripe unreachable while trying to %s: %s", what, error)
        raise PaymentUnavailable(what) from error
    except stripe.StripeError as error:
        log.error("Stripe refused to %s: %s", what, error)
        raise PaymentUnavailable(what) from error


def _card_of(customer) -> tuple[str, str | None, str | None]:
    card = customer.default_source
    return card.id, getattr(card, "brand", None), getattr(card, "last4", None)


def _metadata(invoice: Invoice, payer: Payer) -> dict[str, str]:
    return {
        "invoice_id": str(invoice.id),
        "invoice_number": invoice.number,
        "tenant_id": str(invoice.tenant_id),
        **payer.ids,
    }


CARD_UNUSABLE = "Your card details could not be used. Please enter them again."


def _save_card(what: str, call, *args, **kwargs):
    """Customer.create(source=token) or Customer.create_source: a decline is Stripe's message for the payer; a
    token Stripe does not take (used already, expired, made up) asks for the card again."""
    try:
        return _stripe_call(what, call, *args, **kwargs)
    except stripe.CardError as error:
        raise PaymentRefused(error.user_message or "Your card was declined.") from error
    except PaymentUnavailable as unavailable:
        if isinstance(unavailable.__cause__, stripe.InvalidRequestError):
            raise PaymentRefused(CARD_UNUSABLE) from unavailable
        raise


def _new_customer(card_token: str, payer: Payer):
    params = {"source": card_token, "expand": ["default_source"], "metadata": payer.ids}
    if payer.email:
        params["email"] = payer.email
    if payer.name:
        params["name"] = payer.name
    return _save_card("save the card", gateway().client.v1.customers.create, params=params)


def _add_card(customer_id: str, card_token: str):
    return _save_card(
        "save the card",
        gateway().client.v1.customers.payment_sources.create,
        customer_id,
        params={"source": card_token},
    )


def _confirm(payment: Payment) -> Started:
    client = gateway().client
    try:
        intent = _stripe_call(
            "charge the card", client.v1.payment_intents.confirm, payment.stripe_payment_intent_id
        )
    except stripe.CardError as error:
        settle_failure(payment.id)
        db.session.commit()
        raise PaymentRefused(error.user_message or "Your card was declined.") from error
    if intent.status == "requires_action":
        return Started(payment, needs_authentication=True)
    return Started(payment)


def _start_new(invoice: Invoice, amount_cents: int, card_token: str, payer: Payer) -> Started:
    client = gateway().client
    customer = _new_customer(card_token, payer)
    card_id, brand, last4 = _card_of(customer)
    intent = _stripe_call(
        "start the payment",
        client.v1.payment_intents.create,
        params={
            "amount": amount_cents,
            "currency": invoice.currency.lower(),
            "customer": customer.id,
            "payment_method": card_id,
            "payment_method_types": ["card"],
            "metadata": _metadata(invoice, payer),
        },
    )
    payment = Payment(
        tenant_id=invoice.tenant_id,
        invoice_id=invoice.id,
        amount_cents=amount_cents,
        status=PaymentStatus.PENDING,
        method=CARD_METHOD,
        stripe_payment_intent_id=intent.id,
        card_brand=brand,
        card_last4=last4,
    )
    db.session.add(payment)
    db.session.commit()  # saved before the card is charged: a crash or a timeout from here on cannot lose it
    return _confirm(payment)


def _already_settling(open_payment: Payment, intent) -> Started:
    """Stripe has (or is getting) the money for the open payment: charge nothing more. A success is recorded now,
    in case its webhook was lost (localstripe never retries one); the webhook then finds nothing left to do."""
    receipt = None
    if intent.status == "succeeded":
        receipt = settle_success(open_payment.id, received_cents(intent), intent_metadata(intent))
        db.session.commit()
    log.info("Pay now found intent %s %s; not charging again", intent.id, intent.status)
    return Started(open_payment, receipt=receipt)


def _reuse_or_replace(open_payment: Payment, amount_cents: int, card_token: str) -> Started | None:
    """Started when the open payment settles this attempt; None when it was cancelled and a new one may start."""
    client = gateway().client
    intent_id = open_payment.stripe_payment_intent_id
    intent = _stripe_call("look up the open payment", client.v1.payment_intents.retrieve, intent_id)
    if intent.status in SETTLING:
        return _already_settling(open_payment, intent)
    if intent.status in AWAITING_CARD and intent.amount == amount_cents:
        card = _add_card(intent.customer, card_token)
        intent = _stripe_call(
            "reuse the open payment",
            client.v1.payment_intents.update,
            intent_id,
            params={"payment_method": card.id},
        )
        # localstripe keeps an intent whose last charge was declined in requires_payment_method: replace it.
        if intent.status == "requires_confirmation":
            open_payment.card_brand, open_payment.card_last4 = card.brand, card.last4
            db.session.commit()
            return _confirm(open_payment)
    if intent.status in CANCELLABLE:
        try:
            _stripe_call("cancel the open payment", client.v1.payment_intents.cancel, intent_id)
        except PaymentUnavailable:
            intent = _stripe_call("look up the open payment", client.v1.payment_intents.retrieve, intent_id)
            if intent.status not in SETTLING:
                raise
            return _already_settling(open_payment, intent)  # authenticated in another tab meanwhile
    settle_failure(open_payment.id)
    db.session.commit()
    log.info("Pay now replaced intent %s (%s, %s)", intent_id, intent.status, intent.amount)
    return None


def start_payment(invoice: Invoice, amount_cents: int, card_token: str, payer: Payer) -> Started:
    """Pay amount_cents of invoice with the card behind card_token (a Stripe.js token). PaymentRefused with a
    message for the payer, or PaymentUnavailable; commits as it goes."""
    with pay_now_lock(invoice.id):
        db.session.refresh(
            invoice
        )  # what the request read may be stale by now: the lock holder may have paid
        problem = payable_problem(invoice) or amount_problem(amount_cents, invoice)
        if problem:
            raise PaymentRefused(problem)
        open_payment = open_online_payment(invoice.id)
        if open_payment is not None:
            started = _reuse_or_replace(open_payment, amount_cents, card_token)
            if started is not None:
                return started
            db.session.refresh(invoice)
        return _start_new(invoice, amount_cents, card_token, payer)


def received_cents(intent) -> int:
    """What Stripe says arrived. Real Stripe sends `amount_received`; localstripe's intents have no such field and
    succeed for their whole `amount`."""
    received = getattr(intent, "amount_received", None)
    return int(received if received is not None else intent.amount)


def intent_metadata(intent) -> dict[str, str]:
    metadata = getattr(intent, "metadata", None)
    return {key: str(value) for key, value in (metadata.to_dict() if metadata else {}).items()}


def intent_for(payment: Payment):
    """The payment's intent as Stripe has it now; PaymentUnavailable when Stripe does not answer."""
    return _stripe_call(
        "look up the payment", gateway().client.v1.payment_intents.retrieve, payment.stripe_payment_intent_id
    )


def client_secret_for(payment: Payment) -> str | None:
    """The client secret the page needs to authenticate the card, while the intent asks for it; else None."""
    intent = intent_for(payment)
    return intent.client_secret if intent.status == "requires_action" else None


def pending_progress(payment: Payment) -> tuple[str, str | None]:
    """What a pending online payment waits for, asked of Stripe:
    - ("authenticate", None): the card asks for authentication, on the payment page;
    - ("failed", message): it can no longer succeed (authentication failed, declined, cancelled); marked failed
      now, since localstripe sends no event for a failed authentication;
    - ("processing", None): Stripe has it, or it was never confirmed (Stripe was unreachable at that moment; the
      next "Pay now" reuses it). Successes are the webhook's to record.
    PaymentUnavailable when Stripe does not answer."""
    intent = intent_for(payment)
    if intent.status == "requires_action":
        return "authenticate", None
    error = getattr(intent, "last_payment_error", None)
    if intent.status == "canceled" or (intent.status == "requires_payment_method" and error is not None):
        if settle_failure(payment.id):
            db.session.commit()
        return "failed", getattr(error, "message", None) or "The payment did not go through."
    return "processing", None
