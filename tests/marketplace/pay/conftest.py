"""A buyer with a marketplace invoice: a sale recorded in their conversation with the seller and invoiced (so the
buyer's client record at the breeder exists), the buyer signed in; and the steps of paying it from "My invoices"
against the real localstripe."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pytest
from flask.testing import FlaskClient

from app.extensions import db
from marketplace.sales.forms import SaleDetails
from marketplace.sales.invoicing import create_invoice, record_sale
from models import Invoice, MarketplaceTransaction, MarketplaceUser, MessageThread
from tests.marketplace.sales.conftest import buyer, conversation, listing, seller, tenant  # noqa: F401
from tests.stripe_server import CARD_OK, LocalStripe, pay_form_data

STATUS_URL_RE = re.compile(r"/account/invoices/(\d+)/payments/(\d+)$")


@dataclass
class Purchase:
    buyer: MarketplaceUser
    seller: MarketplaceUser
    sale: MarketplaceTransaction
    invoice: Invoice
    thread: MessageThread

    @property
    def invoice_url(self) -> str:
        return f"/account/invoices/{self.invoice.id}"

    @property
    def pay_url(self) -> str:
        return f"/account/invoices/{self.invoice.id}/pay"


def invoiced_sale(seller_user, thread, amount_cents: int = 25_000, description: str = "Stud service"):
    """A pending sale recorded in the conversation, and its issued invoice for the buyer."""
    details = SaleDetails(amount_cents, description, date.today(), "card")
    sale, _ = record_sale(seller_user, details, thread=thread)
    invoice, _ = create_invoice(sale.id, seller_user.tenant_id, seller_user)
    db.session.commit()
    return sale, invoice


@pytest.fixture
def purchase(login_as, seller, buyer, conversation) -> Purchase:  # noqa: F811
    """The buyer signed in, with a $250.00 invoice for a pending sale recorded in their conversation."""
    sale, invoice = invoiced_sale(seller, conversation)
    login_as(buyer)
    return Purchase(buyer, seller, sale, invoice, conversation)


@pytest.fixture
def pay_now(client: FlaskClient, csrf, localstripe: LocalStripe, purchase: Purchase):
    """pay_now(amount="250.00", card=CARD_OK, invoice=None, **form) -> the response to the "Pay now" form."""

    def post(amount: str = "250.00", card: str | None = CARD_OK, invoice: Invoice | None = None, **form: str):
        target = invoice or purchase.invoice
        data = pay_form_data(csrf("/account/invoices"), localstripe, amount, card, **form)
        response = client.post(f"/account/invoices/{target.id}/pay", data=data)
        db.session.expire_all()  # the request wrote through its own session
        return response

    return post
