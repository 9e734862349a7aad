"""Two "Pay now" at the same moment on one invoice (two tabs, a double click): one open intent, one charge.

The usual test transaction lives on one connection, which concurrent requests cannot share; this test runs its
own app on a scratch database, where every request commits for real.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask
from sqlalchemy import select

from app.auth import issue_session
from app.extensions import db
from models import Contact, Invoice, Payment
from tests.conftest import csrf_token_from
from tests.dbserver import scratch_app as scratch_database_app
from tests.factories import ContactFactory, InvoiceFactory, PartyFactory, TenantFactory
from tests.stripe_server import CARD_OK, LocalStripe

TABS = 2


@pytest.fixture
def scratch_app(pg_server_url: str, localstripe: LocalStripe) -> Iterator[Flask]:
    with scratch_database_app(pg_server_url, f"breeder_pay_{os.getpid()}", localstripe.app_config()) as app:
        yield app


def _client_with_an_invoice(app: Flask, number: str) -> tuple[int, int]:
    with app.app_context():
        tenant = TenantFactory(slug="sunny")
        contact = ContactFactory(party=PartyFactory(tenant=tenant))
        invoice = InvoiceFactory(client_party=contact.party, number=number, amount_cents=10_000)
        db.session.commit()
        ids = contact.id, invoice.id
        db.session.remove()
    return ids


def _tab(app: Flask, contact_id: int, invoice_id: int):
    with app.app_context():
        identity = issue_session("contact", db.session.get(Contact, contact_id))
        db.session.commit()
        db.session.remove()
    client = app.test_client()
    with client.session_transaction() as session:
        session.update({"_user_id": identity, "_fresh": True})
    token = csrf_token_from(client.get(f"/portal/sunny/invoices/{invoice_id}/pay").get_data(as_text=True))
    return client, token


def test_two_pay_now_at_once_make_one_intent_and_one_charge(scratch_app: Flask, localstripe: LocalStripe):
    number = f"SK-{uuid.uuid4().hex[:8]}"
    contact_id, invoice_id = _client_with_an_invoice(scratch_app, number)
    tabs = [_tab(scratch_app, contact_id, invoice_id) for _ in range(TABS)]
    cards = [localstripe.token(CARD_OK) for _ in range(TABS)]
    start = threading.Barrier(TABS)

    def pay(tab, card):
        client, token = tab
        start.wait()
        return client.post(
            f"/portal/sunny/invoices/{invoice_id}/pay",
            data={"csrf_token": token, "amount": "100.00", "stripe_token": card},
        )

    with ThreadPoolExecutor(max_workers=TABS) as pool:
        responses = list(pool.map(pay, tabs, cards))

    assert [response.status_code for response in responses] == [303] * TABS
    assert len({response.headers["Location"] for response in responses}) == 1  # both on the one payment
    with scratch_app.app_context():
        payments = db.session.scalars(select(Payment).where(Payment.invoice_id == invoice_id)).all()
        invoice = db.session.get(Invoice, invoice_id)
        assert len(payments) == 1
        assert payments[0].status in ("pending", "succeeded")
        assert invoice.balance_cents in (0, 10_000)  # the second tab may have recorded the success already
    assert [intent["status"] for intent in localstripe.intents_for_invoice(number)] == ["succeeded"]
