"""Payments that must not happen: another client's or breeder's invoice, an invoice with nothing to pay, amounts
out of bounds, a missing card or CSRF token. Each gets a clear answer and leaves nothing behind."""

from __future__ import annotations

import pytest

from app.extensions import db
from tests.factories import ContactFactory, InvoiceFactory, PartyFactory, TenantFactory
from tests.stripe_server import online_payments


def _nothing_changed(payee) -> None:
    assert online_payments(payee.invoice) == []
    assert (payee.invoice.status, payee.invoice.balance_cents) == ("issued", 10_000)


def test_another_clients_invoice_is_not_found(client, payee, pay_now):
    neighbour = ContactFactory(party=PartyFactory(tenant=payee.invoice.tenant))
    theirs = InvoiceFactory(client_party=neighbour.party)
    db.session.flush()

    assert client.get(f"/portal/sunny/invoices/{theirs.id}/pay").status_code == 404
    assert pay_now(invoice=theirs).status_code == 404
    assert online_payments(theirs) == []


def test_another_breeders_invoice_is_not_found_in_this_portal(client, payee, pay_form):
    other = InvoiceFactory(client_party=PartyFactory(tenant=TenantFactory(slug="river")))
    db.session.flush()
    data = pay_form("10")

    assert client.post(f"/portal/sunny/invoices/{other.id}/pay", data=data).status_code == 404
    # Its own portal is another identity's: the signed-in client is sent to sign in there.
    assert client.post(f"/portal/river/invoices/{other.id}/pay", data=data).status_code == 302
    assert online_payments(other) == []


@pytest.mark.parametrize(
    ("status", "balance", "message"),
    [
        ("paid", 0, "This invoice is already paid."),
        ("void", 10_000, "This invoice was cancelled (void), so there is nothing to pay."),
        ("issued", 0, "This invoice has no balance due."),
    ],
)
def test_an_invoice_with_nothing_to_pay_is_refused(client, payee, pay_now, status, balance, message):
    payee.invoice.status, payee.invoice.balance_cents = status, balance
    db.session.flush()

    page = client.get(payee.pay_url)
    response = pay_now(amount="1.00")

    assert page.status_code == response.status_code == 409
    assert message in response.get_data(as_text=True)
    assert 'id="card-element"' not in response.get_data(as_text=True)
    assert online_payments(payee.invoice) == []


def test_a_draft_is_not_found(client, payee, pay_now):
    payee.invoice.status = "draft"
    db.session.flush()
    assert client.get(payee.pay_url).status_code == 404
    assert pay_now().status_code == 404


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "The amount must be at least $1.00."),
        ("0.99", "The amount must be at least $1.00."),
        ("100.01", "The amount can be at most the balance due, $100.00."),
        ("1e9", "The amount can be at most the balance due, $100.00."),
        ("", "Enter an amount."),
        ("ten dollars", "Enter an amount in dollars, like 45 or 45.50."),
        ("-5", "The amount cannot be negative."),
        ("1.001", "Use at most 2 decimal places."),
        ("9" * 40, "Enter an amount in dollars, like 45 or 45.50."),
    ],
)
def test_an_amount_out_of_bounds_is_refused_with_a_message(client, payee, pay_now, amount, message):
    response = pay_now(amount=amount)

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    _nothing_changed(payee)


def test_no_card_token_asks_for_the_card(payee, pay_now):
    for token in (None, "", "tok_<script>", "pm_card_visa"):
        response = pay_now(card=None, **({} if token is None else {"stripe_token": token}))
        assert response.status_code == 422
        assert "Enter your card details." in response.get_data(as_text=True)
    _nothing_changed(payee)


def test_a_token_stripe_does_not_take_asks_for_the_card_again(payee, pay_now):
    response = pay_now(card=None, stripe_token="tok_doesnotexist")
    assert response.status_code == 422
    assert "Your card details could not be used. Please enter them again." in response.get_data(as_text=True)
    _nothing_changed(payee)


def test_a_missing_csrf_token_is_a_bad_request(client, payee, pay_form):
    form = pay_form("10")
    del form["csrf_token"]
    response = client.post(payee.pay_url, data=form)
    assert response.status_code == 400
    _nothing_changed(payee)


def test_signed_out_visitors_are_sent_to_sign_in(client, payee):
    with client.session_transaction() as session:
        session.clear()
    response = client.get(payee.pay_url)
    assert response.status_code == 302 and "/portal/sunny/login" in response.headers["Location"]
