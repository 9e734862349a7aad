"""Fixtures for reviews: a breeder with a verified seller, a buyer, a listing, their conversation and sales in
every status, and helpers to post forms and read back what was stored."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from models import Review, ReviewReport
from tests.factories import MarketplaceUserFactory, ServiceListingFactory, TenantFactory
from tests.marketplace.messaging.conftest import make_thread
from tests.marketplace.sales.conftest import make_sale, verified_seller


@pytest.fixture
def tenant():
    return TenantFactory(name="Sunny Acres", slug="sunny-acres")


@pytest.fixture
def seller(tenant):
    return verified_seller(tenant, first_name="Sam", last_name="Seller")


@pytest.fixture
def buyer():
    return MarketplaceUserFactory(first_name="Bailey", last_name="Buyer", email="bailey@example.test")


@pytest.fixture
def stranger():
    return MarketplaceUserFactory(first_name="Olly", last_name="Outsider")


@pytest.fixture
def listing(seller):
    return ServiceListingFactory(provider_user=seller, title="Progesterone timing")


@pytest.fixture
def conversation(listing, buyer, seller):
    return make_thread(listing, buyer, [(buyer, "Can you test on Saturday?"), (seller, "Yes, 10am works.")])


def sale_between(tenant, seller, buyer, listing=None, status: str = "completed", **fields):
    """A sale the seller recorded for the buyer (as "Record a sale" in a conversation does), committed."""
    return make_sale(
        tenant,
        provider_user_id=seller.id,
        client_user_id=buyer.id,
        service_listing_id=listing.id if listing else None,
        service_description="Progesterone timing test",
        status=status,
        **fields,
    )


@pytest.fixture
def completed_sale(tenant, seller, buyer, listing):
    return sale_between(tenant, seller, buyer, listing)


@pytest.fixture
def post(client, csrf):
    """post(path, **form) -> response, with this client's CSRF token."""

    def send(path: str, **form):
        return client.post(path, data={"csrf_token": csrf(), **form})

    return send


def review_form(**overrides) -> dict[str, str]:
    form = {"rating": "5", "text": "Quick, careful and friendly. Result the same afternoon."}
    form.update(overrides)
    return form


def reviews() -> list[Review]:
    db.session.expire_all()
    return list(db.session.scalars(select(Review).order_by(Review.id)))


def reports() -> list[ReviewReport]:
    db.session.expire_all()
    return list(db.session.scalars(select(ReviewReport)))


def page_text(response) -> str:
    return response.get_data(as_text=True)
