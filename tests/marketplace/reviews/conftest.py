"""Fixtures for reviews: a breeder with a verified seller, a buyer, a listing, their conversation and sales in
every status, and helpers to post forms and read back what was stored."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from models import Review, ReviewReport
from tests.factories import MarketplaceUserFactory, ServiceListingFactory
from tests.marketplace.messaging.conftest import make_thread
from tests.marketplace.sales.conftest import buyer, make_sale, post, seller, tenant

# The sales tests' Sunny Acres, its verified seller Sam Seller, the buyer Bailey Buyer, and post(path, **form).
__all__ = ["buyer", "post", "seller", "tenant"]


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
