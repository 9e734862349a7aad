"""Reviews under concurrent requests, on a scratch database where every request commits on its own connection: a
double-clicked review is stored once, a double-sent reply once, and a review racing a refund never lands on the
refunded sale."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from marketplace.reviews.forms import ReviewDetails
from marketplace.reviews.writing import post_review
from models import MarketplaceTransaction, Review
from tests.dbserver import scratch_app as scratch_database_app
from tests.factories import MarketplaceTransactionFactory, MarketplaceUserFactory, TenantFactory
from tests.marketplace.messaging.conftest import signed_in_client
from tests.marketplace.sales.conftest import verified_seller
from tests.marketplace.sales.test_concurrency import _all_at_once


@pytest.fixture(scope="module")
def scratch_app(pg_server_url: str) -> Iterator[Flask]:
    with scratch_database_app(pg_server_url, f"breeder_reviews_concurrency_{os.getpid()}") as app:
        yield app


@pytest.fixture(autouse=True)
def _db_transaction() -> Iterator[None]:
    """Overrides the suite's rolled-back transaction: these tests commit on the scratch database."""
    yield


def _completed_sale(app: Flask, *, reviewed: bool = False) -> dict[str, int]:
    with app.app_context():
        tenant = TenantFactory()
        seller, buyer = verified_seller(tenant), MarketplaceUserFactory()
        sale = MarketplaceTransactionFactory(
            provider_tenant=tenant, provider_user_id=seller.id, client_user_id=buyer.id, status="completed"
        )
        ids = {"seller": seller.id, "buyer": buyer.id, "sale": sale.id, "tenant": tenant.id}
        if reviewed:
            ids["review"] = post_review(buyer, sale.id, ReviewDetails(3, "Okay."), throttle=False).id
        db.session.commit()
        db.session.remove()
    return ids


def _reviews_of(app: Flask, sale_id: int) -> list[tuple[int, str | None]]:
    with app.app_context():
        rows = db.session.execute(
            select(Review.rating, Review.reply_text).where(Review.marketplace_transaction_id == sale_id)
        ).all()
        db.session.remove()
    return [tuple(row) for row in rows]


def test_a_review_sent_twice_at_once_is_stored_once(scratch_app):
    ids = _completed_sale(scratch_app)
    form = {"rating": "4", "text": "Sent twice."}

    statuses = _all_at_once(scratch_app, ids["buyer"], [(f"/purchases/{ids['sale']}/review", form)] * 4)

    assert sorted(statuses) == [303, 409, 409, 409]
    assert _reviews_of(scratch_app, ids["sale"]) == [(4, None)]


def test_a_reply_sent_twice_at_once_is_stored_once(scratch_app):
    ids = _completed_sale(scratch_app, reviewed=True)
    path = f"/reviews/{ids['review']}/reply"

    statuses = _all_at_once(scratch_app, ids["seller"], [(path, {"text": "One"}), (path, {"text": "Two"})])

    assert sorted(statuses) == [303, 409]
    assert _reviews_of(scratch_app, ids["sale"])[0][1] in ("One", "Two")


def test_a_review_racing_a_refund_is_never_left_on_a_refunded_sale(scratch_app):
    ids = _completed_sale(scratch_app)
    buyer_client, buyer_token = signed_in_client(scratch_app, ids["buyer"])
    seller_client, seller_token = signed_in_client(scratch_app, ids["seller"])
    start = threading.Barrier(2)

    def review() -> int:
        start.wait()
        return buyer_client.post(
            f"/purchases/{ids['sale']}/review",
            data={"csrf_token": buyer_token, "rating": "1", "text": "Refund!"},
        ).status_code

    def refund() -> int:
        start.wait()
        return seller_client.post(
            f"/dashboard/sales/{ids['sale']}/status", data={"csrf_token": seller_token, "to": "refunded"}
        ).status_code

    with ThreadPoolExecutor(max_workers=2) as pool:
        reviewed, refunded = pool.submit(review), pool.submit(refund)
        statuses = (reviewed.result(), refunded.result())

    assert statuses[1] == 303  # a completed sale may always be refunded
    with scratch_app.app_context():
        status = db.session.scalar(
            select(MarketplaceTransaction.status).where(MarketplaceTransaction.id == ids["sale"])
        )
        db.session.remove()
    assert status == "refunded"
    # Either the review came first (and stays: the deal happened), or the refund did and the review was refused.
    assert (statuses[0], len(_reviews_of(scratch_app, ids["sale"]))) in ((303, 1), (409, 0))


def test_a_review_refused_by_the_race_gives_its_allowance_back(scratch_app):
    ids = _completed_sale(scratch_app)
    with scratch_app.app_context():
        tenant_id, seller_id, buyer_id = ids["tenant"], ids["seller"], ids["buyer"]
        second = MarketplaceTransactionFactory(
            provider_tenant_id=tenant_id,
            provider_user_id=seller_id,
            client_user_id=buyer_id,
            status="completed",
        )
        db.session.commit()
        second_id = second.id
        db.session.remove()
    scratch_app.config["REVIEW_RATE_LIMIT"] = "2 per day"
    try:
        form = {"rating": "5", "text": "Twice at once."}
        statuses = _all_at_once(scratch_app, buyer_id, [(f"/purchases/{ids['sale']}/review", form)] * 2)
        assert sorted(statuses) == [303, 409]

        # Only one review was written, so one of the two allowances is left for the other purchase.
        [later] = _all_at_once(scratch_app, buyer_id, [(f"/purchases/{second_id}/review", form)])
    finally:
        del scratch_app.config["REVIEW_RATE_LIMIT"]
    assert later == 303
    assert len(_reviews_of(scratch_app, second_id)) == 1
