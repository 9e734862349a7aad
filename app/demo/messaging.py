"""Demo conversations between the demo buyer and the demo seller: one active with an unread message for the
seller (so the nav badge shows), one archived and fully read."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from app.demo.marketplace import DemoUsers
from app.extensions import db
from models import MarketplaceUser, Message, MessageThread, ServiceListing
from models.types import utcnow

Conversation = list[tuple[MarketplaceUser, str]]


def _seed_thread(
    users: DemoUsers,
    listing: ServiceListing,
    conversation: Conversation,
    *,
    start: datetime,
    status: str = "active",
    last_unread: bool = True,
) -> None:
    exists = db.session.scalar(
        select(MessageThread.id).where(
            MessageThread.listing_id == listing.id, MessageThread.buyer_user_id == users.buyer.id
        )
    )
    if exists is not None:
        return
    thread = MessageThread(
        listing_id=listing.id,
        buyer_user_id=users.buyer.id,
        seller_user_id=users.seller.id,
        subject=listing.title,
        status=status,
        created_at=start,
        last_message_at=start + timedelta(minutes=10 * (len(conversation) - 1)),
    )
    db.session.add(thread)
    db.session.flush()
    for index, (sender, text) in enumerate(conversation):
        sent = start + timedelta(minutes=10 * index)
        unread = last_unread and index == len(conversation) - 1
        db.session.add(
            Message(
                thread_id=thread.id,
                sender_user_id=sender.id,
                message_text=text,
                created_at=sent,
                read_at=None if unread else sent + timedelta(minutes=5),
            )
        )
    db.session.flush()


def seed_messaging(users: DemoUsers) -> None:
    listings = db.session.scalars(
        select(ServiceListing)
        .where(ServiceListing.provider_user_id == users.seller.id, ServiceListing.status == "active")
        .order_by(ServiceListing.id)
        .limit(2)
    ).all()
    if not listings:
        return
    buyer, seller = users.buyer, users.seller
    _seed_thread(
        users,
        listings[0],
        [
            (buyer, "Hi! Is your stud available in March? Our girl is due in season around then."),
            (seller, "Hello! Yes, March works. Do you have her OFA and genetic panel results?"),
            (
                buyer,
                "We do, I can send them over tonight.\nHere is her breeder page: https://example.com/dams/daisy",
            ),
        ],
        start=utcnow() - timedelta(hours=3),
    )
    if len(listings) > 1:
        _seed_thread(
            users,
            listings[1],
            [
                (buyer, "Do you do hand-stripping for terriers?"),
                (seller, "Not at the moment, sorry. I can recommend someone in Denver."),
                (buyer, "No worries, thanks!"),
            ],
            start=utcnow() - timedelta(days=12),
            status="archived",
            last_unread=False,
        )
