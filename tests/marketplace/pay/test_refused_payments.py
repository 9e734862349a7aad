"""Payments from "My invoices" that must not happen: another user's invoice or payment (404), an invoice with
nothing to pay, amounts out of bounds, a missing CSRF token. Each leaves nothing behind."""

from __future__ import annotations

import pytest

from app.extensions import db
from tests.factories import InvoiceFactory, MarketplaceUserFactory
from tests.marketplace.invoices.conftest import linked_contact
from tests.marketplace.pay.conftest import invoiced_sale
from tests.stripe_server import online_payments


def _nothing_changed(purchase) -> None:
    assert online_payments(purchase.invoice) == []
    assert (purchase.invoice.status, purchase.invoice.balance_cents) == ("issued", 25_000)


def test_another_users_invoice_is_not_found(client, purchase, pay_now, tenant):
    someone = MarketplaceUserFactory()
    theirs = InvoiceFactory(client_party=linked_contact(tenant, someone).party, amount_cents=5_000)
    unlinked = InvoiceFactory(client_party=linked_contact(tenant, None).party, amount_cents=5_000)
    db.session.commit()

    for invoice in (theirs, unlinked):
        assert client.get(f"/account/invoices/{invoice.id}/pay").status_code == 404
        assert pay_now(amount="10", invoice=invoice).status_code == 404
        assert online_payments(invoice) == []


def test_another_users_payment_page_is_not_found(client, purchase, pay_now, login_as):
    pay_now()
    (payment,) = online_payments(purchase.invoice)
    status_url = f"/account/invoices/{purchase.invoice.id}/payments/{payment.id}"
    assert client.get(status_url).status_code == 200

    login_as(MarketplaceUserFactory())
    assert client.get(status_url).status_code == 404
    assert client.get(f"{purchase.pay_url}?authenticate={payment.id}").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, purchase):
    with client.session_transaction() as session:
        session.clear()
    response = client.get(purchase.pay_url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "The amount must be at least $1.00."),
        ("0.99", "The amount must be at least $1.00."),
        ("250.01", "The amount can be at most the balance due, $250.00."),
        ("ten dollars", "Enter an amount in dollars, like 45 or 45.50."),
    ],
)
def test_an_amount_out_of_bounds_is_refused(client, purchase, pay_now, amount, message):
    response = pay_now(amount=amount)

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    _nothing_changed(purchase)


@pytest.mark.parametrize("status", ["paid", "void"])
def test_an_invoice_with_nothing_to_pay_is_refused(client, purchase, pay_now, status):
    purchase.invoice.status, purchase.invoice.balance_cents = status, 0
    db.session.commit()

    assert client.get(purchase.pay_url).status_code == 409
    assert pay_now(amount="1").status_code == 409
    assert online_payments(purchase.invoice) == []


def test_a_missing_csrf_token_is_refused(client, purchase, localstripe):
    response = client.post(purchase.pay_url, data={"amount": "250", "stripe_token": localstripe.token()})
    assert response.status_code == 400
    _nothing_changed(purchase)


def test_a_second_invoice_of_the_same_buyer_is_theirs_to_pay(client, purchase, pay_now, seller):
    _, invoice = invoiced_sale(seller, purchase.thread, 9_000, "Shipping kit")
    assert pay_now(amount="90", invoice=invoice).status_code == 303
    assert [p.amount_cents for p in online_payments(invoice)] == [9_000]
