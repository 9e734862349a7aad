"""Sales under concurrent requests, on a scratch database where every request commits on its own connection:
invoice numbers never repeat, a sale is invoiced once, a buyer becomes one contact, a status moves once."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from models import AuditEvent, Contact, Invoice, MarketplaceTransaction
from tests.dbserver import scratch_app as scratch_database_app
from tests.factories import MarketplaceTransactionFactory, MarketplaceUserFactory, TenantFactory
from tests.marketplace.messaging.conftest import signed_in_client
from tests.marketplace.sales.conftest import verified_seller


@pytest.fixture(scope="module")
def scratch_app(pg_server_url: str) -> Iterator[Flask]:
    with scratch_database_app(pg_server_url, f"breeder_sales_concurrency_{os.getpid()}") as app:
        yield app


@pytest.fixture(autouse=True)
def _db_transaction() -> Iterator[None]:
    """Overrides the suite's rolled-back transaction: these tests commit on the scratch database."""
    yield


def _breeder_with_sales(app: Flask, count: int, **sale_fields) -> tuple[int, int, list[int]]:
    """A breeder, its verified seller and `count` pending sales; returns (tenant id, seller id, sale ids)."""
    with app.app_context():
        tenant = TenantFactory()
        seller = verified_seller(tenant)
        sales = [
            MarketplaceTransactionFactory(
                provider_tenant=tenant,
                provider_user_id=seller.id,
                status="pending",
                amount_cents=10_000 + n,
                platform_fee_cents=500,
                net_payout_cents=9_500 + n,
                transaction_date=date(2026, 11, 1),
                **sale_fields,
            )
            for n in range(count)
        ]
        db.session.commit()
        ids = (tenant.id, seller.id, [sale.id for sale in sales])
        db.session.remove()
    return ids


def _all_at_once(app: Flask, user_id: int, requests: list[tuple[str, dict]]) -> list[int]:
    """Each (path, form) posted by its own signed-in client, all released together; returns the statuses."""
    clients = [signed_in_client(app, user_id) for _ in requests]
    start = threading.Barrier(len(requests))

    def run(index: int) -> int:
        client, token = clients[index]
        path, form = requests[index]
        start.wait()
        return client.post(path, data={"csrf_token": token, **form}).status_code

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(run, range(len(requests))))


def _invoices(app: Flask, tenant_id: int) -> list[Invoice]:
    with app.app_context():
        invoices = list(db.session.scalars(select(Invoice).where(Invoice.tenant_id == tenant_id)))
        db.session.expunge_all()
        db.session.remove()
    return invoices


def test_twenty_invoices_created_at_once_get_twenty_distinct_numbers(scratch_app: Flask):
    tenant_id, seller_id, sale_ids = _breeder_with_sales(scratch_app, 20)

    statuses = _all_at_once(scratch_app, seller_id, [(f"/dashboard/sales/{i}/invoice", {}) for i in sale_ids])

    assert statuses == [303] * 20
    invoices = _invoices(scratch_app, tenant_id)
    assert len(invoices) == 20
    assert {invoice.marketplace_transaction_id for invoice in invoices} == set(sale_ids)
    numbers = sorted(invoice.number for invoice in invoices)
    assert len(set(numbers)) == 20
    assert all(number.endswith(f"-M{n:03d}") for n, number in enumerate(numbers, start=1))  # no gaps either


def test_ten_create_invoice_requests_on_one_sale_make_exactly_one_invoice(scratch_app: Flask):
    tenant_id, seller_id, [sale_id] = _breeder_with_sales(scratch_app, 1)

    statuses = _all_at_once(scratch_app, seller_id, [(f"/dashboard/sales/{sale_id}/invoice", {})] * 10)

    assert sorted(statuses) == [303] + [409] * 9
    assert len(_invoices(scratch_app, tenant_id)) == 1
    with scratch_app.app_context():
        created = db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "invoice.created", AuditEvent.tenant_id == tenant_id)
        )
        db.session.remove()
    assert created == 1


def test_two_first_invoices_for_one_buyer_at_once_make_one_contact(scratch_app: Flask):
    with scratch_app.app_context():
        buyer_id = MarketplaceUserFactory().id
        db.session.commit()
        db.session.remove()
    tenant_id, seller_id, sale_ids = _breeder_with_sales(scratch_app, 2, client_user_id=buyer_id)

    statuses = _all_at_once(scratch_app, seller_id, [(f"/dashboard/sales/{i}/invoice", {}) for i in sale_ids])

    assert statuses == [303, 303]
    with scratch_app.app_context():
        contacts = list(db.session.scalars(select(Contact).where(Contact.marketplace_user_id == buyer_id)))
        parties = {
            sale.client_party_id
            for sale in db.session.scalars(
                select(MarketplaceTransaction).where(MarketplaceTransaction.id.in_(sale_ids))
            )
        }
        db.session.remove()
    assert len(contacts) == 1 and contacts[0].tenant_id == tenant_id
    assert {invoice.client_party_id for invoice in _invoices(scratch_app, tenant_id)} == {
        contacts[0].party_id
    }
    assert parties == {contacts[0].party_id}


def test_concurrent_moves_of_one_sale_are_judged_one_after_the_other(scratch_app: Flask):
    tenant_id, seller_id, [sale_id] = _breeder_with_sales(scratch_app, 1)
    moves = [(f"/dashboard/sales/{sale_id}/status", {"to": to}) for to in ["completed", "cancelled"] * 5]

    statuses = _all_at_once(scratch_app, seller_id, moves)

    assert sorted(statuses) == [303] + [409] * 9
    with scratch_app.app_context():
        final = db.session.get(MarketplaceTransaction, sale_id).status
        events = list(
            db.session.scalars(
                select(AuditEvent).where(AuditEvent.subject_id == sale_id, AuditEvent.tenant_id == tenant_id)
            )
        )
        db.session.remove()
    assert final in ("completed", "cancelled")
    assert [(e.before, e.after) for e in events] == [({"status": "pending"}, {"status": final})]
