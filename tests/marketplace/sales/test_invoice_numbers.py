"""Marketplace invoice numbers: one series per breeder, skipping numbers already taken, race-free."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from app import create_app
from app.extensions import db
from models import Invoice, InvoiceNumberCounter, Tenant, allocate_invoice_number
from models.types import utcnow
from tests.dbserver import create_database, drop_database
from tests.factories import InvoiceFactory, PartyFactory, TenantFactory

CONCURRENT_ALLOCATIONS = 20


def _invoice(tenant: Tenant, number: str, **fields) -> Invoice:
    return InvoiceFactory(client_party=PartyFactory(tenant=tenant), number=number, **fields)


def _last_number(tenant_id: int) -> int | None:
    return db.session.scalar(
        select(InvoiceNumberCounter.last_number).where(InvoiceNumberCounter.tenant_id == tenant_id)
    )


def test_a_breeders_first_marketplace_invoices_are_numbered_from_one():
    tenant = TenantFactory(slug="sunny-acres")

    assert allocate_invoice_number(db.session, tenant.id) == "SA-M001"
    assert allocate_invoice_number(db.session, tenant.id) == "SA-M002"
    assert _last_number(tenant.id) == 2


def test_numbers_already_taken_are_skipped_soft_deleted_ones_too():
    tenant = TenantFactory(slug="sunny-acres")
    _invoice(tenant, "SA-M001")  # like the demo's marketplace invoice
    _invoice(tenant, "SA-M002", deleted_at=utcnow())  # hidden from every page, but its number is used
    _invoice(tenant, "SA-M004")
    _invoice(tenant, "SA-1003")  # the breeder's own series is another series

    numbers = [allocate_invoice_number(db.session, tenant.id) for _ in range(3)]

    assert numbers == ["SA-M003", "SA-M005", "SA-M006"]
    assert _last_number(tenant.id) == 6


def test_each_breeder_has_its_own_series():
    sunny, other = TenantFactory(slug="sunny-acres"), TenantFactory(slug="silver-antlers")
    _invoice(other, "SA-M001")  # the same number at another breeder is no obstacle

    assert allocate_invoice_number(db.session, sunny.id) == "SA-M001"
    assert allocate_invoice_number(db.session, other.id) == "SA-M002"
    assert allocate_invoice_number(db.session, sunny.id) == "SA-M002"


def test_a_given_prefix_replaces_the_initials():
    tenant = TenantFactory(slug="sunny-acres")
    assert allocate_invoice_number(db.session, tenant.id, prefix="SUN") == "SUN-M001"


def test_a_rolled_back_allocation_gives_its_number_back():
    tenant = TenantFactory(slug="sunny-acres")
    db.session.commit()  # (into the test's outer transaction)
    savepoint = db.session.begin_nested()
    assert allocate_invoice_number(db.session, tenant.id) == "SA-M001"
    savepoint.rollback()

    assert allocate_invoice_number(db.session, tenant.id) == "SA-M001"


def test_an_unknown_tenant_is_a_lookup_error():
    with pytest.raises(LookupError, match="No tenant with id 2147483647"):
        allocate_invoice_number(db.session, 2_147_483_647)


# ---- Concurrent allocations, each in its own committed transaction ---------------------------------------------


@pytest.fixture
def committed_database(pg_server_url: str) -> Iterator[str]:
    """A scratch database at head where transactions commit for real (the per-test one cannot be shared)."""
    name = f"breeder_invoice_numbers_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    url = create_database(pg_server_url, name)
    app: Flask = create_app({"SQLALCHEMY_DATABASE_URI": url, "SERVER_NAME": None}, env_name="testing")
    with app.app_context():
        upgrade()
        db.engine.dispose()
    try:
        yield url
    finally:
        drop_database(pg_server_url, name)


def test_twenty_concurrent_allocations_get_twenty_distinct_free_numbers(committed_database: str):
    engine = create_engine(committed_database, poolclass=NullPool)
    try:
        with Session(engine) as session:
            tenant = Tenant(name="Sunny Acres", slug="sunny-acres")
            session.add(tenant)
            session.flush()
            tenant_id = tenant.id
            # Planted where the counter goes next: the first number, and one in the middle of the run.
            for planted in ("SA-M001", "SA-M005"):
                session.add(
                    Invoice(
                        tenant_id=tenant_id, number=planted, status="issued", amount_cents=1, balance_cents=1
                    )
                )
            session.commit()

        start = threading.Barrier(CONCURRENT_ALLOCATIONS)

        def allocate_and_invoice(_: int) -> str:
            with Session(engine) as session:
                session.execute(text("SELECT 1"))  # connected and in a transaction before the race starts
                start.wait()
                number = allocate_invoice_number(session, tenant_id)
                time.sleep(0.01)  # hold the transaction open, so the others really queue behind it
                session.add(
                    Invoice(
                        tenant_id=tenant_id,
                        number=number,
                        status="issued",
                        amount_cents=100,
                        balance_cents=100,
                        is_marketplace_invoice=True,
                    )
                )
                session.commit()
                return number

        with ThreadPoolExecutor(max_workers=CONCURRENT_ALLOCATIONS) as pool:
            numbers = list(pool.map(allocate_and_invoice, range(CONCURRENT_ALLOCATIONS)))

        assert len(set(numbers)) == CONCURRENT_ALLOCATIONS
        assert not {"SA-M001", "SA-M005"} & set(numbers)
        expected = {f"SA-M{n:03d}" for n in range(2, 23)} - {"SA-M005"}
        assert set(numbers) == expected  # no gaps: 20 numbers in 2..22, skipping the planted 5
        with Session(engine) as session:
            assert session.scalar(select(InvoiceNumberCounter.last_number)) == 22
            stored = session.scalars(select(Invoice.number).where(Invoice.tenant_id == tenant_id)).all()
            assert sorted(stored) == sorted([*numbers, "SA-M001", "SA-M005"])
    finally:
        engine.dispose()
