"""seed-demo leaves the demo client invoices to pay online, and paying one works on the demo data."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from demo import seed_demo
from models import Contact, Invoice, Tenant
from payments.service import payable_problem
from tests.stripe_server import CARD_OK, online_payments


def test_the_demo_client_can_pay_sa_1002(client, csrf, login_as, localstripe, deliver):
    seed_demo()
    db.session.commit()
    tenant = db.session.scalars(select(Tenant).where(Tenant.slug == "sunny-acres")).one()
    contact = db.session.scalars(
        select(Contact).where(Contact.tenant_id == tenant.id, Contact.email == "client@example.com")
    ).one()
    invoices = db.session.scalars(select(Invoice).where(Invoice.client_party_id == contact.party_id)).all()
    payable = sorted(invoice.number for invoice in invoices if payable_problem(invoice) is None)
    # Their own invoices, and the marketplace ones in their portal (paying one completes its sale).
    assert payable == ["SA-1002", "SA-1003", "SA-1004", "SA-1008", "SA-M001", "SA-M002"]

    login_as(contact)
    invoice = next(invoice for invoice in invoices if invoice.number == "SA-1002")
    url = f"/portal/sunny-acres/invoices/{invoice.id}"
    assert "Pay now" in client.get(url).get_data(as_text=True)
    form = {"csrf_token": csrf(url), "amount": "1670.00", "stripe_token": localstripe.token(CARD_OK)}
    assert client.post(f"{url}/pay", data=form).status_code == 303
    (payment,) = online_payments(invoice)
    deliver(localstripe.event_body(payment.stripe_payment_intent_id, "payment_intent.succeeded"))

    db.session.refresh(invoice)
    assert (invoice.status, invoice.balance_cents) == ("paid", 0)
