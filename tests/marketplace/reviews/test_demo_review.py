"""The demo: the demo seller's provider page shows the demo buyer's review of a completed demo sale, with the
seller's reply, written through the app's review code; seeding twice adds nothing."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from demo import seed_demo
from models import AuditEvent, MarketplaceTransaction, MarketplaceUser, Message, Review


def _user(email: str) -> MarketplaceUser:
    return db.session.scalar(select(MarketplaceUser).where(MarketplaceUser.email == email))


def test_the_demo_sellers_page_shows_the_demo_buyers_review(client, login_as):
    seed_demo()
    seed_demo()  # idempotent
    db.session.commit()
    seller, buyer = _user("seller@example.com"), _user("buyer@example.com")

    [review] = db.session.scalars(select(Review)).all()
    sale = db.session.get(MarketplaceTransaction, review.marketplace_transaction_id)
    assert (sale.status, sale.service_description, sale.client_user_id) == (
        "completed",
        "Progesterone timing test",
        buyer.id,
    )
    assert (review.provider_user_id, review.provider_tenant_id, review.rating) == (
        seller.id,
        sale.provider_tenant_id,
        5,
    )
    assert [
        event.action
        for event in db.session.scalars(select(AuditEvent).where(AuditEvent.subject_table == "Review"))
    ] == [
        "review.created",
        "review.replied",
    ]

    html = client.get(f"/providers/{seller.id}").get_data(as_text=True)
    assert "Sam Seller" in html and "Verified breeder" in html
    assert "had the result the same afternoon" in html and "Bailey B." in html
    assert "Reply from Sam Seller" in html and "(1 review)" in html
    # Both demo conversations were answered within 10 minutes.
    assert "100%" in html and "Typically replies within an hour" in html

    login_as(buyer)
    thread_id = db.session.scalar(
        select(Message.thread_id).where(Message.marketplace_transaction_id == sale.id)
    )
    assert "You reviewed this purchase" in client.get(f"/messages/{thread_id}").get_data(as_text=True)
