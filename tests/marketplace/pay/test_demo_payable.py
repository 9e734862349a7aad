"""seed-demo leaves the demo buyer a marketplace invoice to pay from "My invoices" (SA-M002, for the seller's
pending "Semen shipping kit" sale), and paying it completes the sale."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from demo import seed_demo
from models import Invoice, MarketplaceTransaction, MarketplaceUser
from tests.stripe_server import pay_through_the_page


def test_the_demo_buyer_pays_sa_m002_from_my_invoices(client, csrf, login_as, localstripe, deliver):
    seed_demo()
    db.session.commit()
    buyer = db.session.scalars(
        select(MarketplaceUser).where(MarketplaceUser.email == "buyer@example.com")
    ).one()
    invoice = db.session.scalars(select(Invoice).where(Invoice.number == "SA-M002")).one()
    assert invoice.is_marketplace_invoice and invoice.balance_cents == 17_500

    login_as(buyer)
    assert f'href="/account/invoices/{invoice.id}"' in client.get("/account/invoices").get_data(as_text=True)
    pay_through_the_page(
        client, csrf, localstripe, deliver, f"/account/invoices/{invoice.id}", invoice, "175.00"
    )

    db.session.expire_all()
    assert (invoice.status, invoice.balance_cents) == ("paid", 0)
    sale = db.session.get(MarketplaceTransaction, invoice.marketplace_transaction_id)
    assert (sale.service_description, sale.status) == ("Semen shipping kit", "completed")
