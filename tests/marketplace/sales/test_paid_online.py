"""A marketplace invoice paid online: paid in full, its sale is completed by the system with the PaymentIntent on
it and an audit event; paid in part, the sale waits; settled another way first, the card payment is excess."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from marketplace.sales.invoicing import create_invoice, move_sale
from models import AuditEvent, MarketplaceTransaction, Payment
from payments.service import Payer, start_payment
from tests.marketplace.sales.conftest import make_sale
from tests.stripe_server import CARD_OK


def _invoiced_sale(tenant, seller, buyer):
    sale = make_sale(tenant, client_user_id=buyer.id, amount_cents=25_000)
    invoice, _ = create_invoice(sale.id, tenant.id, seller)
    db.session.commit()
    return sale, invoice


def _pay(localstripe, deliver, invoice, buyer, cents: int) -> Payment:
    payer = Payer(email=buyer.email, name=buyer.display_name, ids={"marketplace_user_id": str(buyer.id)})
    payment = start_payment(invoice, cents, localstripe.token(CARD_OK), payer).payment
    deliver(localstripe.event_body(payment.stripe_payment_intent_id, "payment_intent.succeeded"))
    return db.session.get(Payment, payment.id)


def _audits(sale) -> list[tuple]:
    return [
        (event.action, event.actor_kind, event.before["status"], event.after["status"])
        for event in db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject_table == "MarketplaceTransaction", AuditEvent.subject_id == sale.id)
            .order_by(AuditEvent.id)
        )
        if event.before
    ]


def test_paid_in_full_online_the_sale_is_completed(tenant, seller, buyer, localstripe, deliver):
    sale, invoice = _invoiced_sale(tenant, seller, buyer)

    payment = _pay(localstripe, deliver, invoice, buyer, 25_000)

    sale = db.session.get(MarketplaceTransaction, sale.id)
    assert (sale.status, sale.stripe_payment_intent_id) == ("completed", payment.stripe_payment_intent_id)
    assert _audits(sale) == [("sale.paid_online", "system", "pending", "completed")]


def test_paid_in_part_the_sale_waits(tenant, seller, buyer, localstripe, deliver):
    sale, invoice = _invoiced_sale(tenant, seller, buyer)

    _pay(localstripe, deliver, invoice, buyer, 10_000)

    sale = db.session.get(MarketplaceTransaction, sale.id)
    assert (sale.status, sale.stripe_payment_intent_id) == ("pending", None)
    assert invoice.status == "partially_paid" and _audits(sale) == []


def test_a_sale_completed_by_the_seller_first_leaves_the_card_payment_as_excess(
    tenant, seller, buyer, localstripe, deliver
):
    sale, invoice = _invoiced_sale(tenant, seller, buyer)
    payer = Payer(email=buyer.email, name=None, ids={"marketplace_user_id": str(buyer.id)})
    payment = start_payment(invoice, 25_000, localstripe.token(CARD_OK), payer).payment
    move_sale(sale.id, tenant.id, "completed", seller)  # paid off the platform, says the seller
    db.session.commit()

    deliver(localstripe.event_body(payment.stripe_payment_intent_id, "payment_intent.succeeded"))

    payment = db.session.get(Payment, payment.id)
    sale = db.session.get(MarketplaceTransaction, sale.id)
    assert (payment.status, payment.overpaid_cents) == ("succeeded", 25_000)
    assert (invoice.status, invoice.balance_cents) == ("paid", 0)
    assert (sale.status, sale.stripe_payment_intent_id) == ("completed", None)
