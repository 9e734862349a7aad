"""Refund forms sent at the same moment (a double click, two tabs), on a scratch database where every request
commits on its own connection, against the real localstripe: one form sent twice refunds once, and two forms
together never give back more than was paid."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from models import Invoice, MarketplaceTransaction, Payment, PaymentRefund
from tests.dbserver import scratch_app as scratch_database_app
from tests.factories import (
    InvoiceFactory,
    MarketplaceTransactionFactory,
    PartyFactory,
    PaymentFactory,
    TenantFactory,
)
from tests.marketplace.messaging.conftest import signed_in_client
from tests.marketplace.sales.conftest import verified_seller
from tests.stripe_server import LocalStripe, unconfirmed_intent

KEY = "same-form-" + "k" * 20


@pytest.fixture(scope="module")
def scratch_app(pg_server_url: str, localstripe: LocalStripe) -> Iterator[Flask]:
    name = f"breeder_refund_concurrency_{os.getpid()}"
    with scratch_database_app(pg_server_url, name, localstripe.app_config()) as app:
        yield app


@pytest.fixture(autouse=True)
def _db_transaction() -> Iterator[None]:
    """Overrides the suite's rolled-back transaction: these tests commit on the scratch database."""
    yield


def _sale_paid_by_card(app: Flask, localstripe: LocalStripe) -> tuple[int, int, int]:
    """A completed $250.00 sale whose invoice was paid by card at localstripe: (seller id, sale id, invoice id)."""
    _, intent = unconfirmed_intent(localstripe.client, localstripe.token(), 25_000)
    intent = localstripe.client.v1.payment_intents.confirm(intent.id)
    with app.app_context():
        tenant = TenantFactory(slug=f"t-{uuid.uuid4().hex[:8]}")
        seller = verified_seller(tenant)
        sale = MarketplaceTransactionFactory(
            provider_tenant=tenant,
            provider_user_id=seller.id,
            status="completed",
            amount_cents=25_000,
            platform_fee_cents=1_250,
            net_payout_cents=23_750,
            transaction_date=date(2026, 11, 1),
        )
        invoice = InvoiceFactory(
            client_party=PartyFactory(tenant=tenant),
            status="paid",
            amount_cents=25_000,
            balance_cents=0,
            marketplace_transaction_id=sale.id,
            is_marketplace_invoice=True,
        )
        PaymentFactory(
            invoice=invoice,
            amount_cents=25_000,
            status="succeeded",
            method="card",
            stripe_payment_intent_id=intent.id,
        )
        db.session.commit()
        ids = seller.id, sale.id, invoice.id
        db.session.remove()
    return ids


def _at_once(app: Flask, seller_id: int, sale_id: int, forms: list[dict]) -> list[int]:
    clients = [signed_in_client(app, seller_id) for _ in forms]
    start = threading.Barrier(len(forms))

    def send(index: int) -> int:
        client, token = clients[index]
        start.wait()
        response = client.post(
            f"/dashboard/sales/{sale_id}/refund", data={"csrf_token": token, **forms[index]}
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=len(forms)) as pool:
        return list(pool.map(send, range(len(forms))))


def _outcome(app: Flask, sale_id: int, invoice_id: int):
    with app.app_context():
        refunds = db.session.scalars(
            select(PaymentRefund.amount_cents)
            .join(Payment, Payment.id == PaymentRefund.payment_id)
            .where(Payment.invoice_id == invoice_id)
        ).all()
        invoice = db.session.get(Invoice, invoice_id)
        sale = db.session.get(MarketplaceTransaction, sale_id)
        payment = db.session.scalars(select(Payment).where(Payment.invoice_id == invoice_id)).one()
        outcome = (sorted(refunds), invoice.balance_cents, sale.status, payment.stripe_payment_intent_id)
        db.session.remove()
    return outcome


def test_one_form_sent_twice_at_once_refunds_once(scratch_app: Flask, localstripe: LocalStripe):
    seller_id, sale_id, invoice_id = _sale_paid_by_card(scratch_app, localstripe)

    statuses = _at_once(scratch_app, seller_id, sale_id, [{"amount": "100", "refund_key": KEY}] * 2)

    assert statuses == [303, 303]
    refunds, balance, status, intent_id = _outcome(scratch_app, sale_id, invoice_id)
    assert (refunds, balance, status) == ([10_000], 10_000, "completed")
    at_stripe = localstripe.client.v1.refunds.list(params={"payment_intent": intent_id}).data
    assert [refund.amount for refund in at_stripe] == [10_000]


def test_two_full_refunds_at_once_give_back_the_payment_once(scratch_app: Flask, localstripe: LocalStripe):
    seller_id, sale_id, invoice_id = _sale_paid_by_card(scratch_app, localstripe)
    forms = [{"amount": "250", "refund_key": f"form-{n}-" + "k" * 20} for n in range(2)]

    statuses = _at_once(scratch_app, seller_id, sale_id, forms)

    # The second waits for the first, then finds the sale refunded (409) or nothing left (422).
    assert sorted(statuses)[0] == 303 and sorted(statuses)[1] in (409, 422)
    refunds, balance, status, intent_id = _outcome(scratch_app, sale_id, invoice_id)
    assert (refunds, balance, status) == ([25_000], 25_000, "refunded")
    at_stripe = localstripe.client.v1.refunds.list(params={"payment_intent": intent_id}).data
    assert [refund.amount for refund in at_stripe] == [25_000]
