"""Refunds of card payments through Stripe's Refund API, for any invoice, and what a refund does to our records.

- `refund_invoice(invoice_id, amount_cents, key, actor)`: give back amount_cents of what the invoice received by
  card, newest payment first (one Stripe refund per payment it touches). Refused when it is more than what was
  paid by card less earlier refunds. The caller (marketplace/sales/refunding.py) commits.
- `sync_refunds(payment_id)`: record the refunds Stripe has for a payment that we have not (made in Stripe's
  dashboard, or by a request that died after Stripe answered). The webhook runs it for `charge.refunded`, and
  every refund runs it first, so what is left to refund is Stripe's figure, not only ours.

One Stripe refund is applied once: its id is unique in "PaymentRefund" and a row is inserted with ON CONFLICT DO
NOTHING before any money moves in our books, so a refund that the seller's request, the webhook and a catch-up all
see is counted by whichever inserts it. What a refund does (`_apply`): it returns the payment's recorded excess
first (overpaidCents, which the invoice never received), then restores the invoice's balance by the rest (status
`partially_paid`, or `issued` when nothing paid is left); a payment refunded in full becomes `refunded`. Each
refund is audited; then the `on_payment_refunded` hooks run once per batch (the marketplace's moves the sale:
marketplace/sales/paid_online.py).

Locks, in the order payments/settlement.py takes them: the sale (for a marketplace invoice), the invoice, its
payments, held across the Stripe calls until the caller commits. A double-submitted refund form therefore waits
for the first, then finds its refunds under the form's idempotency key and refunds nothing more.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import stripe
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from app.extensions import db
from app.money import format_money
from models import ActorKind, Invoice, InvoiceStatus, Payment, PaymentRefund, PaymentStatus
from payments.gateway import gateway
from payments.queries import UNSCOPED, lock_online_payments, lock_payment, lock_sale_and_invoice
from payments.service import PaymentUnavailable, stripe_call
from payments.settlement import audit_payment

log = logging.getLogger(__name__)

# Stripe refund statuses in which the money is (or is on its way) back to the card.
COUNTED = ("succeeded", "pending")
KEY_METADATA = "refund_key"


class RefundRefused(Exception):
    """Nothing was refunded; `message` is for the seller, `status` the HTTP answer (409 or 422)."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Actor:
    """Who refunds, for the audit trail: the seller (a marketplace user), or the system for refunds recorded from
    Stripe's side."""

    kind: ActorKind
    id: int | None = None


SYSTEM = Actor(ActorKind.SYSTEM)


@dataclass
class Refunded:
    """What a refund request did: the refunds it recorded (or, for a repeated form, found), and what could not be
    refunded because Stripe stopped answering after the first payment (short_cents)."""

    invoice: Invoice
    refunds: list[PaymentRefund] = field(default_factory=list)
    replayed: bool = False
    short_cents: int = 0

    @property
    def amount_cents(self) -> int:
        return sum(refund.amount_cents for refund in self.refunds)


RefundHook = Callable[[Invoice, list[PaymentRefund], Actor], None]
_refund_hooks: list[RefundHook] = []


def on_payment_refunded(hook: RefundHook) -> RefundHook:
    """hook(invoice, refunds, actor), run in the transaction that recorded the refunds, after the money moved."""
    _refund_hooks.append(hook)
    return hook


# --- our books -------------------------------------------------------------------------------------------------


def _insert(
    payment: Payment, stripe_refund_id: str, amount_cents: int, key: str | None
) -> PaymentRefund | None:
    """The refund's row, or None when this Stripe refund is recorded already."""
    refund_id = db.session.execute(
        insert(PaymentRefund)
        .values(
            tenant_id=payment.tenant_id,
            payment_id=payment.id,
            amount_cents=amount_cents,
            stripe_refund_id=stripe_refund_id,
            idempotency_key=key,
        )
        .on_conflict_do_nothing(index_elements=["stripeRefundId"])
        .returning(PaymentRefund.id)
    ).scalar()
    if refund_id is None:
        return None
    db.session.expire(payment, ["refunds"])
    return db.session.get(PaymentRefund, refund_id)


def _restore(invoice: Invoice, cents: int) -> None:
    """Give the invoice back `cents` of balance: what it no longer has received. A void or draft invoice is left
    as it is (it owes nothing whatever was refunded)."""
    if cents <= 0 or invoice.status in (InvoiceStatus.VOID, InvoiceStatus.DRAFT):
        return
    invoice.balance_cents = min(invoice.amount_cents, invoice.balance_cents + cents)
    if invoice.balance_cents <= 0:
        invoice.status = InvoiceStatus.PAID
    elif invoice.balance_cents >= invoice.amount_cents:
        invoice.status = InvoiceStatus.ISSUED
    else:
        invoice.status = InvoiceStatus.PARTIALLY_PAID


def _apply(
    invoice: Invoice,
    payment: Payment,
    stripe_refund_id: str,
    amount_cents: int,
    key: str | None,
    actor: Actor,
) -> PaymentRefund | None:
    """Record one Stripe refund of `payment` and move the money in our books; None when it was recorded already.
    The caller holds the locks (lock_sale_and_invoice, then the payment)."""
    before = {
        "status": payment.status,
        "refunded_cents": payment.refunded_cents,
        "overpaid_cents": payment.overpaid_cents,
        "invoice_status": invoice.status,
        "balance_cents": invoice.balance_cents,
    }
    refund = _insert(payment, stripe_refund_id, amount_cents, key)
    if refund is None:
        return None
    excess = min(payment.overpaid_cents or 0, amount_cents)
    payment.overpaid_cents = (payment.overpaid_cents or 0) - excess or None
    _restore(invoice, amount_cents - excess)
    if payment.refunded_cents >= payment.amount_cents:
        payment.status = PaymentStatus.REFUNDED
    db.session.flush()
    audit_payment(
        "payment.refunded",
        payment,
        invoice,
        before,
        {
            "status": payment.status,
            "refunded_cents": payment.refunded_cents,
            "overpaid_cents": payment.overpaid_cents,
            "invoice_status": invoice.status,
            "balance_cents": invoice.balance_cents,
            "refund_cents": amount_cents,
            "stripe_refund_id": stripe_refund_id,
        },
        actor.kind,
        actor.id,
    )
    log.info(
        "refund %s of %s on payment %s (invoice %s) recorded",
        stripe_refund_id,
        format_money(amount_cents, invoice.currency),
        payment.id,
        invoice.number,
    )
    return refund


def _after(invoice: Invoice, refunds: list[PaymentRefund], actor: Actor) -> None:
    if refunds:
        for hook in _refund_hooks:
            hook(invoice, refunds, actor)
        db.session.flush()


# --- Stripe's side ---------------------------------------------------------------------------------------------


def _stripe_refunds(payment: Payment) -> Iterator[stripe.Refund]:
    """Every refund Stripe has for the payment's intent (paged: localstripe pages oldest first, Stripe newest)."""
    client = gateway().client
    params: dict = {"payment_intent": payment.stripe_payment_intent_id, "limit": 100}
    while True:
        page = stripe_call("look up the payment's refunds", client.v1.refunds.list, params=params)
        yield from page.data
        if not page.has_more or not page.data:
            return
        params["starting_after"] = page.data[-1].id


def _metadata_key(refund: stripe.Refund) -> str | None:
    metadata = getattr(refund, "metadata", None)
    value = metadata.to_dict().get(KEY_METADATA) if metadata else None
    return str(value)[:64] if value else None


def _catch_up(invoice: Invoice, payment: Payment, actor: Actor) -> list[PaymentRefund]:
    """Record the refunds Stripe has for this payment and we do not; the locks are held."""
    recorded = []
    for found in _stripe_refunds(payment):
        if found.status not in COUNTED or found.amount <= 0:
            continue
        refund = _apply(invoice, payment, found.id, int(found.amount), _metadata_key(found), actor)
        if refund is not None:
            recorded.append(refund)
    return recorded


def sync_refunds(payment_id: int) -> list[PaymentRefund]:
    """Record the refunds Stripe has for this payment that we have not (see the module's docstring); runs the
    hooks for those. PaymentUnavailable when Stripe does not answer. The caller commits."""
    invoice_id = db.session.scalar(
        select(Payment.invoice_id).where(Payment.id == payment_id).execution_options(**UNSCOPED)
    )
    invoice = lock_sale_and_invoice(invoice_id)
    payment = lock_payment(payment_id)
    if payment.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED):
        return []
    recorded = _catch_up(invoice, payment, SYSTEM)
    _after(invoice, recorded, SYSTEM)
    return recorded


def refunds_under_key(invoice_id: int, key: str) -> list[PaymentRefund]:
    """The refunds a refund form with this key already made on the invoice (a double submit finds them)."""
    return list(
        db.session.scalars(
            select(PaymentRefund)
            .join(Payment, Payment.id == PaymentRefund.payment_id)
            .where(Payment.invoice_id == invoice_id, PaymentRefund.idempotency_key == key)
            .order_by(PaymentRefund.id)
            .execution_options(**UNSCOPED)
        )
    )


def _refused_by_stripe(unavailable: PaymentUnavailable) -> RefundRefused | None:
    """Stripe answered, and said no (already refunded, disputed...): its words for the seller."""
    cause = unavailable.__cause__
    if isinstance(cause, stripe.InvalidRequestError):
        return RefundRefused(f"The card payment service refused the refund: {cause.user_message or cause}")
    return None


def _refund_at_stripe(payment: Payment, cents: int, key: str, actor: Actor) -> stripe.Refund:
    metadata = {KEY_METADATA: key, "invoice_id": str(payment.invoice_id), "payment_id": str(payment.id)}
    if actor.id is not None:
        metadata[f"{actor.kind}_id"] = str(actor.id)
    try:
        return stripe_call(
            "refund the payment",
            gateway().client.v1.refunds.create,
            params={
                "payment_intent": payment.stripe_payment_intent_id,
                "amount": cents,
                "metadata": metadata,
            },
            # Stripe answers a retry with the same key with the same refund (localstripe ignores the header).
            options={"idempotency_key": f"refund-{key}-{payment.id}"},
        )
    except PaymentUnavailable as unavailable:
        refused = _refused_by_stripe(unavailable)
        if refused is not None:
            raise refused from unavailable
        raise


def refund_invoice(invoice_id: int, amount_cents: int, key: str, actor: Actor) -> Refunded:
    """Give back amount_cents of what the invoice received by card (see the module's docstring). RefundRefused
    when that is more than what is left to refund (422), or nothing was paid by card (409); PaymentUnavailable
    when Stripe does not answer before anything was refunded. The caller commits; on PaymentUnavailable it rolls
    back. On RefundRefused nothing was refunded and the only writes are refunds caught up from Stripe's side:
    the caller may commit them."""
    invoice = lock_sale_and_invoice(invoice_id)
    payments = lock_online_payments(invoice_id)
    caught_up = [refund for payment in payments for refund in _catch_up(invoice, payment, SYSTEM)]
    _after(invoice, caught_up, SYSTEM)
    earlier = refunds_under_key(invoice_id, key)
    if earlier:
        return Refunded(invoice, earlier, replayed=True)
    left = sum(payment.refundable_cents for payment in payments)
    if left <= 0:
        raise RefundRefused("Nothing paid by card is left to refund on this invoice.")
    if amount_cents > left:
        raise RefundRefused(
            f"The refund can be at most {format_money(left, invoice.currency)}: what was paid by card, "
            "less earlier refunds.",
            422,
        )
    done = Refunded(invoice)
    remaining = amount_cents
    for payment in payments:
        piece = min(remaining, payment.refundable_cents)
        if piece <= 0:
            continue
        try:
            found = _refund_at_stripe(payment, piece, key, actor)
        except (PaymentUnavailable, RefundRefused):
            if not done.refunds:
                raise
            log.warning("refund of invoice %s stopped after %s", invoice.number, done.amount_cents)
            done.short_cents = remaining
            break
        refund = _apply(invoice, payment, found.id, int(found.amount), key, actor)
        if refund is not None:
            done.refunds.append(refund)
        remaining -= piece
        if remaining <= 0:
            break
    _after(invoice, done.refunds, actor)
    return done
