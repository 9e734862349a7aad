"""The demo data gives the demo buyer and seller a conversation to continue, and an archived one."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from demo import seed_demo
from models import MarketplaceUser, Message, MessageThread


def test_demo_seller_has_an_unread_message_and_an_archived_conversation(client, login_as):
    seed_demo()
    seed_demo()  # idempotent
    assert db.session.scalar(select(func.count()).select_from(MessageThread)) == 2
    # The conversations' own messages; the demo sales add their deal cards (tests/marketplace/sales/test_demo_sales.py).
    assert (
        db.session.scalar(
            select(func.count()).select_from(Message).where(Message.marketplace_transaction_id.is_(None))
        )
        == 6
    )
    db.session.commit()

    seller = db.session.scalar(select(MarketplaceUser).where(MarketplaceUser.email == "seller@example.com"))
    login_as(seller)
    inbox = client.get("/messages").get_data(as_text=True)
    assert "data-unread-badge>1<" in inbox
    assert "Bailey Buyer" in inbox
    archived = client.get("/messages?tab=archived").get_data(as_text=True)
    assert "No worries, thanks!" in archived
