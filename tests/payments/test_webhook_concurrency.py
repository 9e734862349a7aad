"""Ten deliveries of one event at the same moment: one effect. Runs its own app on a scratch database, where each
request commits for real on its own connection (the usual rolled-back test transaction cannot be shared)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from models import AuditEvent, Invoice, Payment, StripeEvent
from payments.service import Payer, start_payment
from tests.dbserver import scratch_app as scratch_database_app
from tests.factories import ContactFactory, InvoiceFactory, PartyFactory, TenantFactory
from tests.stripe_server import CARD_OK, LocalStripe

DELIVERIES = 10


@pytest.fixture
def scratch_app(pg_server_url: str, localstripe: LocalStripe) -> Iterator[Flask]:
    with scratch_database_app(
        pg_server_url, f"breeder_webhook_{os.getpid()}", localstripe.app_config()
    ) as app:
        yield app


def _paid_at_stripe(app: Flask, localstripe: LocalStripe) -> tuple[int, int, str]:
    with app.app_context():
        contact = ContactFactory(
            party=PartyFactory(tenant=TenantFactory(slug="sunny"), email="c@example.test")
        )
        invoice = InvoiceFactory(client_party=contact.party, amount_cents=10_000)
        db.session.commit()
        payer = Payer(email=contact.email, name=None, ids={"contact_id": str(contact.id)})
        payment = start_payment(invoice, 10_000, localstripe.token(CARD_OK), payer).payment
        ids = invoice.id, payment.id, payment.stripe_payment_intent_id
        db.session.remove()
    return ids


def test_ten_concurrent_deliveries_of_one_event_have_exactly_one_effect(scratch_app: Flask, localstripe):
    invoice_id, payment_id, intent_id = _paid_at_stripe(scratch_app, localstripe)
    body = localstripe.event_body(intent_id, "payment_intent.succeeded")
    scratch_app.extensions["outbox"] = []
    clients = [scratch_app.test_client() for _ in range(DELIVERIES)]
    start = threading.Barrier(DELIVERIES)

    def deliver(client) -> int:
        signature = localstripe.signature(body)
        start.wait()
        return client.post("/webhooks/stripe", data=body, headers={"Stripe-Signature": signature}).status_code

    with ThreadPoolExecutor(max_workers=DELIVERIES) as pool:
        statuses = list(pool.map(deliver, clients))

    assert statuses == [200] * DELIVERIES
    with scratch_app.app_context():
        invoice = db.session.get(Invoice, invoice_id)
        payment = db.session.get(Payment, payment_id)
        assert (invoice.status, invoice.balance_cents) == ("paid", 0)
        assert (payment.status, payment.amount_cents, payment.overpaid_cents) == ("succeeded", 10_000, None)
        assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 1
        assert db.session.scalar(select(func.count()).where(AuditEvent.action == "payment.succeeded")) == 1
    assert len([m for m in scratch_app.extensions["outbox"] if m["Subject"].startswith("Receipt")]) == 1
