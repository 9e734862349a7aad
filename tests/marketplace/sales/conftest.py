"""Fixtures for sales: a breeder with a verified seller, a buyer, a listing and their conversation, and helpers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from models import AuditEvent, MarketplaceTransaction
from tests.factories import (
    MarketplaceTransactionFactory,
    MarketplaceUserFactory,
    PartyFactory,
    ServiceListingFactory,
    TenantFactory,
)
from tests.marketplace.messaging.conftest import make_thread


@pytest.fixture
def tenant():
    return TenantFactory(name="Sunny Acres", slug="sunny-acres")


def verified_seller(tenant, **fields):
    return MarketplaceUserFactory(user_type="service_provider", tenant=tenant, tenant_verified=True, **fields)


@pytest.fixture
def seller(tenant):
    return verified_seller(tenant, first_name="Sam", last_name="Seller")


@pytest.fixture
def buyer():
    return MarketplaceUserFactory(first_name="Bailey", last_name="Buyer", email="bailey@example.test")


@pytest.fixture
def listing(seller):
    return ServiceListingFactory(provider_user=seller, title="Stud service")


@pytest.fixture
def conversation(listing, buyer, seller):
    return make_thread(listing, buyer, [(buyer, "Is Saturday free?"), (seller, "Yes, 10am works.")])


@pytest.fixture
def other_tenant():
    return TenantFactory(name="Oak Ridge", slug="oak-ridge")


@pytest.fixture
def other_seller(other_tenant):
    return verified_seller(other_tenant, first_name="Olly", last_name="Other")


@pytest.fixture
def party(tenant):
    return PartyFactory(tenant=tenant, name="Zoë O'Brien")


def make_sale(tenant, **fields) -> MarketplaceTransaction:
    fields.setdefault("status", "pending")
    fields.setdefault("amount_cents", 25_000)
    fields.setdefault("platform_fee_cents", 1_250)
    fields.setdefault("net_payout_cents", fields["amount_cents"] - fields["platform_fee_cents"])
    sale = MarketplaceTransactionFactory(provider_tenant=tenant, **fields)
    db.session.commit()
    return sale


@pytest.fixture
def post(client, csrf):
    """post(path, **form) -> response, with this client's CSRF token."""

    def send(path: str, **form):
        return client.post(path, data={"csrf_token": csrf(), **form})

    return send


def sale_form(**overrides) -> dict[str, str]:
    form = {
        "amount": "250",
        "description": "Stud service",
        "transaction_date": "2026-11-20",
        "payment_method": "card",
        "notes": "",
    }
    form.update(overrides)
    return form


def audit_events(action: str | None = None) -> list[AuditEvent]:
    db.session.expire_all()
    statement = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        statement = statement.where(AuditEvent.action == action)
    return list(db.session.scalars(statement))


def sales_of(tenant_id: int) -> list[MarketplaceTransaction]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(MarketplaceTransaction)
            .where(MarketplaceTransaction.provider_tenant_id == tenant_id)
            .order_by(MarketplaceTransaction.id)
        )
    )
