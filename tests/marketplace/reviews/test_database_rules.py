"""The database keeps the review rules whoever writes (revision 0014's triggers and checks): a review needs a
completed sale and its buyer, names the sale's provider whatever the writer says, and the providers' rating
counters follow every visible review."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from models import MarketplaceTransaction, MarketplaceUser, ProviderStats, Review
from tests.factories import MarketplaceUserFactory, TenantFactory
from tests.marketplace.reviews.conftest import sale_between
from tests.marketplace.sales.conftest import verified_seller


def _insert(sale, reviewer_id: int, **fields) -> Review:
    values = {
        "provider_tenant_id": sale.provider_tenant_id,
        "provider_user_id": sale.provider_user_id,
        "rating": 5,
        "body": "Good.",
        **fields,
    }
    review = Review(marketplace_transaction_id=sale.id, reviewer_user_id=reviewer_id, **values)
    db.session.add(review)
    db.session.flush()
    return review


def _refused(constraint: str, write) -> None:
    with pytest.raises(IntegrityError) as refused, db.session.begin_nested():
        write()
    assert refused.value.orig.diag.constraint_name == constraint


@pytest.mark.parametrize("status", ["pending", "cancelled", "refunded"])
def test_a_review_of_a_sale_that_is_not_completed_is_refused(tenant, seller, buyer, status):
    sale = sale_between(tenant, seller, buyer, status=status)
    _refused("Review_sale_completed", lambda: _insert(sale, buyer.id))


def test_only_the_sales_buyer_can_review_it(tenant, seller, buyer, stranger, completed_sale):
    _refused("Review_reviewer_is_buyer", lambda: _insert(completed_sale, stranger.id))
    _refused("Review_reviewer_is_buyer", lambda: _insert(completed_sale, seller.id))


def test_the_provider_breeder_and_listing_are_the_sales_whatever_the_writer_says(
    tenant, seller, buyer, listing, completed_sale
):
    other_tenant = TenantFactory()
    other_provider = verified_seller(other_tenant)

    review = _insert(
        completed_sale, buyer.id, provider_user_id=other_provider.id, provider_tenant_id=other_tenant.id
    )
    db.session.refresh(review)
    assert (review.provider_user_id, review.provider_tenant_id, review.service_listing_id) == (
        seller.id,
        tenant.id,
        listing.id,
    )

    db.session.execute(
        update(Review).where(Review.id == review.id).values(provider_user_id=other_provider.id)
    )
    db.session.refresh(review)
    assert review.provider_user_id == seller.id


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"rating": 0}, "Review_rating_check"),
        ({"rating": 6}, "Review_rating_check"),
        ({"body": " \n\t"}, "Review_body_check"),
        ({"body": "x" * 4001}, "Review_body_check"),
        ({"reply_text": "Thanks"}, "Review_replied_at_check"),
    ],
)
def test_checks_refuse_bad_values(buyer, completed_sale, fields, constraint):
    _refused(constraint, lambda: _insert(completed_sale, buyer.id, **fields))


def _counters(provider_id: int) -> tuple[int, int]:
    stats = db.session.get(ProviderStats, provider_id, populate_existing=True)
    return (stats.review_count, stats.rating_sum) if stats else (0, 0)


def test_rating_counters_follow_new_hidden_shown_and_deleted_reviews(tenant, seller, buyer):
    first, second = sale_between(tenant, seller, buyer), sale_between(tenant, seller, buyer)
    one = _insert(first, buyer.id, rating=5)
    assert _counters(seller.id) == (1, 5)
    _insert(second, buyer.id, rating=2)
    assert _counters(seller.id) == (2, 7)

    db.session.execute(update(Review).where(Review.id == one.id).values(hidden_at=db.func.now()))
    assert _counters(seller.id) == (1, 2)
    db.session.execute(update(Review).where(Review.id == one.id).values(hidden_at=None, rating=4))
    assert _counters(seller.id) == (2, 6)

    db.session.execute(
        delete(MarketplaceTransaction).where(MarketplaceTransaction.id == second.id)
    )  # cascades
    assert _counters(seller.id) == (1, 4)


def test_a_buyer_who_deletes_their_account_takes_their_reviews_off_the_count(tenant, seller):
    leaving = MarketplaceUserFactory()
    _insert(sale_between(tenant, seller, leaving), leaving.id, rating=1)
    assert _counters(seller.id) == (1, 1)

    db.session.execute(delete(MarketplaceUser).where(MarketplaceUser.id == leaving.id))

    assert _counters(seller.id) == (0, 0)
