"""A demo conversation between the demo buyer and the demo seller."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.demo.marketplace import DemoUsers
from app.extensions import db
from models import Message, MessageThread, ServiceListing
from models.types import utcnow


def seed_messaging(users: DemoUsers) -> None:
    listing = db.session.scalar(
        select(ServiceListing)
        .where(ServiceListing.provider_user_id == users.seller.id, ServiceListing.status == "active")
        .order_by(ServiceListing.id)
        .limit(1)
    )
    if listing is None:
        return
    thread = db.session.scalar(
        select(MessageThread).where(
            MessageThread.listing_id == listing.id, MessageThread.buyer_user_id == users.buyer.id
        )
    )
    if thread is not None:
        return
    start = utcnow() - timedelta(hours=3)
    conversation = [
        (users.buyer, "Hi! Is your stud available in March? Our girl is due in season around then."),
        (users.seller, "Hello! Yes, March works. Do you have her OFA and genetic panel results?"),
        (users.buyer, "We do, I can send them over tonight."),
    ]
    thread = MessageThread(
        listing_id=listing.id,
        buyer_user_id=users.buyer.id,
        seller_user_id=users.seller.id,
        subject=listing.title,
        status="active",
        created_at=start,
        last_message_at=start + timedelta(minutes=10 * (len(conversation) - 1)),
    )
    db.session.add(thread)
    db.session.flush()
    for index, (sender, text) in enumerate(conversation):
        sent = start + timedelta(minutes=10 * index)
        is_last = index == len(conversation) - 1
        db.session.add(
            Message(
                thread_id=thread.id,
                sender_user_id=sender.id,
                message_text=text,
                created_at=sent,
                read_at=None if is_last else sent + timedelta(minutes=5),
            )
        )
    db.session.flush()
