"""Demo conversations between marketplace buyers and sellers (the `threads` of demo/data/marketplace.toml)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from sqlalchemy import select

from app.extensions import db
from demo.loader import insert, read, records
from demo.marketplace import MarketplaceRows
from demo.photos import attach_demo_pdf
from models import Message, MessageThread
from models.types import utcnow

MESSAGE_GAP = timedelta(minutes=10)
READ_AFTER = timedelta(minutes=5)


@dataclass(frozen=True)
class DemoMessage:
    sender: Literal["buyer", "seller"]
    text: str
    unread: bool = False
    attachment: str | None = None  # the file name of a generated PDF sent with the message (demo/photos.py)


@dataclass(frozen=True)
class DemoThread:
    seller: str
    listing: str
    buyer: str
    status: str
    started_hours_ago: int
    messages: list[DemoMessage]

    @classmethod
    def from_toml(cls, messages: list[dict[str, Any]], **fields: Any) -> DemoThread:
        return cls(messages=records(DemoMessage, messages), **fields)


def _add_thread(spec: DemoThread, rows: MarketplaceRows) -> None:
    listing = rows.listings[(spec.seller, spec.listing)]
    people = {"buyer": rows.users[spec.buyer], "seller": rows.users[spec.seller]}
    exists = db.session.scalar(
        select(MessageThread.id).where(
            MessageThread.listing_id == listing.id, MessageThread.buyer_user_id == people["buyer"].id
        )
    )
    if exists is not None:
        return
    start = utcnow() - timedelta(hours=spec.started_hours_ago)
    thread = insert(
        MessageThread(
            listing_id=listing.id,
            buyer_user_id=people["buyer"].id,
            seller_user_id=people["seller"].id,
            subject=listing.title,
            status=spec.status,
            created_at=start,
            last_message_at=start + MESSAGE_GAP * (len(spec.messages) - 1),
        )
    )
    for index, message in enumerate(spec.messages):
        sent = start + MESSAGE_GAP * index
        row = insert(
            Message(
                thread_id=thread.id,
                sender_user_id=people[message.sender].id,
                message_text=message.text,
                created_at=sent,
                read_at=None if message.unread else sent + READ_AFTER,
            )
        )
        if message.attachment:
            attach_demo_pdf(thread.id, row.id, message.attachment)


def seed_messaging(rows: MarketplaceRows) -> None:
    for spec in records(DemoThread.from_toml, read("marketplace.toml")["threads"]):
        _add_thread(spec, rows)
