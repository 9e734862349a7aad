"""The demo buyer's review of a completed demo sale (the `reviews` of demo/data/marketplace.toml), written through
the same code as the review form, with the seller's reply through the reply form's code. A sale already reviewed
is left alone."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from demo.loader import read, records
from demo.marketplace import MarketplaceRows
from marketplace.reviews.forms import ReviewDetails
from marketplace.reviews.writing import post_reply, post_review
from models import MarketplaceTransaction, Review


@dataclass(frozen=True)
class DemoReview:
    seller: str
    sale: str
    buyer: str
    rating: int
    text: str
    reply: str | None = None


def _add_review(spec: DemoReview, rows: MarketplaceRows) -> None:
    seller, buyer = rows.users[spec.seller], rows.users[spec.buyer]
    sale_id = db.session.scalar(
        select(MarketplaceTransaction.id).where(
            MarketplaceTransaction.provider_user_id == seller.id,
            MarketplaceTransaction.client_user_id == buyer.id,
            MarketplaceTransaction.service_description == spec.sale,
        )
    )
    assert sale_id is not None, f"marketplace.toml reviews the sale {spec.sale!r}, so its `sales` record it"
    if db.session.scalar(select(Review.id).where(Review.marketplace_transaction_id == sale_id)) is not None:
        return
    review = post_review(buyer, sale_id, ReviewDetails(rating=spec.rating, text=spec.text), throttle=False)
    if spec.reply:
        post_reply(seller, review.id, spec.reply, throttle=False)


def seed_reviews(rows: MarketplaceRows) -> None:
    for spec in records(DemoReview, read("marketplace.toml")["reviews"]):
        _add_review(spec, rows)
