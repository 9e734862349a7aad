"""A client with an open invoice, signed in to the portal, and the steps of paying it against the real
localstripe: Pay now with a card token, and the webhook localstripe would deliver."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient

from app.extensions import db
from models import Contact, Invoice
from tests.factories import ContactFactory, InvoiceFactory, PartyFactory, TenantFactory
from tests.stripe_server import CARD_OK, LocalStripe

STATUS_URL_RE = re.compile(r"/portal/[^/]+/invoices/(\d+)/payments/(\d+)$")


@dataclass
class Payee:
    contact: Contact
    invoice: Invoice

    @property
    def pay_url(self) -> str:
        return f"/portal/{self.invoice.tenant.slug}/invoices/{self.invoice.id}/pay"

    @property
    def invoice_url(self) -> str:
        return f"/portal/{self.invoice.tenant.slug}/invoices/{self.invoice.id}"


@pytest.fixture
def payee(login_as) -> Payee:
    """A signed-in client and their issued invoice of $100.00."""
    tenant = TenantFactory(slug="sunny", name="Sunny Kennels")
    contact = ContactFactory(party=PartyFactory(tenant=tenant, email="client@example.test"))
    invoice = InvoiceFactory(client_party=contact.party, number="SK-1001", amount_cents=10_000)
    db.session.flush()
    login_as(contact)
    return Payee(contact, invoice)


@pytest.fixture
def pay_form(csrf, localstripe: LocalStripe, payee: Payee):
    """pay_form(amount="100.00", card=CARD_OK, **form) -> the "Pay now" form as the page posts it: the CSRF token,
    the amount and the token Stripe.js makes of the card (no token when card is None)."""

    def fill(amount: str = "100.00", card: str | None = CARD_OK, **form: str) -> dict[str, str]:
        data = {"csrf_token": csrf(payee.invoice_url), "amount": amount, **form}
        if card is not None:
            data["stripe_token"] = localstripe.token(card)
        return data

    return fill


@pytest.fixture
def pay_now(client: FlaskClient, pay_form, payee: Payee):
    """pay_now(amount="100.00", card=CARD_OK, invoice=None, **form) -> the response to the "Pay now" form."""

    def post(amount: str = "100.00", card: str | None = CARD_OK, invoice: Invoice | None = None, **form: str):
        target = invoice or payee.invoice
        response = client.post(
            f"/portal/{target.tenant.slug}/invoices/{target.id}/pay", data=pay_form(amount, card, **form)
        )
        db.session.expire_all()  # the request wrote through its own session
        return response

    return post
