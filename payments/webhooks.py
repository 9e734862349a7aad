"""POST /webhooks/stripe: Stripe's events, verified, recorded once, applied once.

- No or bad signature (stripe.Webhook.construct_event): 400, nothing stored. Malformed JSON: 400. A signed body
  that is not an event we could store (an id or type that is not a short string, a handled type without a data
  object, a NUL, a lone surrogate or a non-finite number anywhere, which PostgreSQL's JSONB refuses): 400, nothing
  stored. Stripe never sends those; answering 500 would have it retry them for days.
- Every verified event is inserted into "StripeEvent" with INSERT ... ON CONFLICT (event_id) DO NOTHING RETURNING,
  in the same transaction as its effect. Nothing returned means another delivery of the same event got there
  first (a replay, or a concurrent delivery that waited on our unique index and then saw it committed): 200,
  no second effect. If the first delivery rolled back, the waiting one inserts and does the work.
- payment_intent.succeeded: payments.settlement.settle_success. payment_intent.payment_failed / .canceled:
  settle_failure, which never undoes a success (events may arrive out of order).
- charge.refunded (a refund of one of our payments, whole or partial, made by us or in Stripe's dashboard):
  payments.refunds.sync_refunds asks Stripe for the payment's refunds and records those we have not; a refund the
  seller's request already recorded has its id in "PaymentRefund" and is not applied again. A refund that
  arrives before its payment's success event records the success first (from the intent, as Stripe has it).
  (localstripe sends no refund events; real Stripe does.)
- Any other type, or an intent that is not ours: logged, recorded, 200 (Stripe would otherwise retry it).
- An error while applying an event rolls back (the event is not recorded) and answers 500: Stripe retries.
- A verified event is applied in cross_tenant(STRIPE_EVENT): its payment may be any breeder's.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable

import stripe
from flask import request
from sqlalchemy.dialects.postgresql import insert

from app.extensions import db
from models import Payment, PaymentStatus, StripeEvent, cross_tenant
from payments import bp
from payments.gateway import WEBHOOK_PATH, webhook_secret
from payments.queries import payment_for_intent
from payments.refunds import sync_refunds
from payments.service import intent_for, intent_metadata, received_cents
from payments.settlement import Receipt, settle_failure, settle_success

log = logging.getLogger(__name__)

# A verified event names a payment by its intent, whichever breeder's it is; which one is learnt from the row.
STRIPE_EVENT = "a signed Stripe event for a payment of any breeder"


def _succeeded(payment_id: int, intent) -> Receipt | None:
    return settle_success(payment_id, received_cents(intent), intent_metadata(intent))


def _failed(payment_id: int, intent) -> None:
    settle_failure(payment_id)
    return None


def _refunded(payment_id: int, charge) -> Receipt | None:
    """A charge can be refunded only once its payment succeeded: if our payment does not say so yet (its success
    event is late, or was lost), record the success first, as Stripe has it; then the refunds."""
    receipt = None
    payment = db.session.get(Payment, payment_id)
    if payment is not None and payment.status in (PaymentStatus.PENDING, PaymentStatus.FAILED):
        intent = intent_for(payment)
        if intent.status == "succeeded":
            receipt = settle_success(payment_id, received_cents(intent), intent_metadata(intent))
    sync_refunds(payment_id)
    return receipt


HANDLERS: dict[str, Callable[[int, object], Receipt | None]] = {
    "payment_intent.succeeded": _succeeded,
    "payment_intent.payment_failed": _failed,
    "payment_intent.canceled": _failed,
    "charge.refunded": _refunded,
}


def _intent_id(event_object) -> str | None:
    """The PaymentIntent an event is about: the object itself, or a charge's payment_intent (an id, or expanded)."""
    if getattr(event_object, "object", None) != "charge":
        intent_id = getattr(event_object, "id", None)
    else:
        intent = getattr(event_object, "payment_intent", None)
        intent_id = intent if isinstance(intent, str) or intent is None else getattr(intent, "id", None)
    return intent_id if isinstance(intent_id, str) else None


EVENT_FIELD_MAX_CHARS = 255  # "StripeEvent".event_id and .type


def _storable(value: object) -> bool:
    """Whether PostgreSQL can store this JSON value as JSONB: no NUL, no lone surrogate, no NaN or infinity."""
    if isinstance(value, str):
        return _encodes(value)
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_storable(key) and _storable(item) for key, item in value.items())
    if isinstance(value, list):
        return all(_storable(item) for item in value)
    return True


def _encodes(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _not_an_event(parsed: object) -> str | None:
    """Why a verified body cannot be handled as an event, or None."""
    if not isinstance(parsed, dict):
        return "not an object"
    for field in ("id", "type"):
        value = parsed.get(field)
        if not isinstance(value, str) or not value or len(value) > EVENT_FIELD_MAX_CHARS:
            return f"no usable {field}"
    if parsed["type"] in HANDLERS:
        data = parsed.get("data")
        if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
            return "no data object"
    if not _storable(parsed):
        return "a value PostgreSQL cannot store"
    return None


def _record(event_id: str, event_type: str, payload: dict) -> bool:
    """Insert the event; False when it is already there (or being inserted by a delivery that then commits)."""
    inserted = db.session.execute(
        insert(StripeEvent)
        .values(event_id=event_id, type=event_type, payload=payload)
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(StripeEvent.id)
    ).scalar()
    return inserted is not None


def handle_event(event: stripe.Event, payload: dict) -> Receipt | None:
    """Apply one verified event in the session's transaction (the caller commits). Returns a receipt to send
    after the commit, when the event recorded a payment."""
    if not _record(event.id, event.type, payload):
        log.info("Stripe event %s (%s) was already handled; ignored", event.id, event.type)
        return None
    handler = HANDLERS.get(event.type)
    if handler is None:
        log.info("Stripe event %s of type %s is not one we handle; acknowledged", event.id, event.type)
        return None
    event_object = event.data.object
    intent_id = _intent_id(event_object)
    payment = payment_for_intent(intent_id) if intent_id else None
    if payment is None:
        log.warning(
            "Stripe event %s (%s) is for intent %s, which is not ours; acknowledged",
            event.id,
            event.type,
            intent_id,
        )
        return None
    return handler(payment.id, event_object)


@bp.post(WEBHOOK_PATH)
def stripe_webhook():
    payload = request.get_data()
    signature = request.headers.get("Stripe-Signature")
    secret = webhook_secret()
    if secret is None:
        log.warning("Stripe webhook while no Stripe is in use (payment off, or no embedded server started)")
        return "Online payment is not configured.", 404
    if not signature:
        log.warning("Stripe webhook without a Stripe-Signature header; refused")
        return "Missing signature.", 400
    try:
        event = stripe.Webhook.construct_event(payload, signature, secret)
    except stripe.SignatureVerificationError:
        log.warning("Stripe webhook with a bad signature; refused")
        return "Bad signature.", 400
    except (ValueError, TypeError, AttributeError, KeyError, RecursionError):
        log.warning("Stripe webhook with a valid signature but a body that is not an event; refused")
        return "Malformed JSON.", 400
    parsed = json.loads(payload)
    problem = _not_an_event(parsed)
    if problem is not None:
        log.warning("Stripe webhook with a valid signature but %s; refused", problem)
        return "Not an event.", 400
    with cross_tenant(STRIPE_EVENT):
        receipt = handle_event(event, parsed)
        db.session.commit()
        if receipt is not None:
            receipt.send()
    return "", 200
