"""Fixtures for messaging: a seller with a listing, a buyer, a conversation between them, and helpers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.auth import issue_session
from app.extensions import db
from models import MarketplaceUser, Message, MessageThread
from models.types import utcnow
from tests.conftest import csrf_token_from
from tests.factories import (
    MarketplaceUserFactory,
    MessageFactory,
    MessageThreadFactory,
    ServiceListingFactory,
)


@pytest.fixture
def seller():
    return MarketplaceUserFactory(first_name="Sam", last_name="Seller", user_type="service_provider")


@pytest.fixture
def buyer():
    return MarketplaceUserFactory(first_name="Bailey", last_name="Buyer")


@pytest.fixture
def outsider():
    return MarketplaceUserFactory(first_name="Olly", last_name="Outsider")


@pytest.fixture
def listing(seller):
    return ServiceListingFactory(provider_user=seller, title="Show grooming in Austin")


def make_thread(listing, buyer, messages: list[tuple[object, str]], **fields) -> MessageThread:
    """A thread with `messages` [(sender, text), ...] one minute apart, ending now."""
    start = utcnow() - timedelta(minutes=len(messages) + 1)
    thread = MessageThreadFactory(
        listing=listing, buyer_user=buyer, last_message_at=start + timedelta(minutes=len(messages)), **fields
    )
    for index, (sender, text) in enumerate(messages, start=1):
        MessageFactory(
            thread=thread, sender=sender, message_text=text, created_at=start + timedelta(minutes=index)
        )
    # Committed (up to the test's outer transaction), so a view that rolls back a refused send keeps it.
    db.session.commit()
    return thread


@pytest.fixture
def conversation(listing, buyer, seller):
    return make_thread(
        listing,
        buyer,
        [(buyer, "Is Saturday free?"), (seller, "Yes, 10am works."), (buyer, "Great, see you then.")],
    )


@pytest.fixture
def post(client, csrf):
    """post(path, **form) -> response, with this client's CSRF token; htmx=True sends the htmx headers."""

    def send(path: str, htmx: bool = False, **form):
        token = csrf()
        headers = {"HX-Request": "true"} if htmx else {}
        return client.post(path, data={"csrf_token": token, **form}, headers=headers)

    return send


def thread_messages(thread_id: int) -> list[Message]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Message).where(Message.thread_id == thread_id).order_by(Message.created_at, Message.id)
        )
    )


def unread_counters(thread_id: int) -> dict[str, tuple[int, int]]:
    """{"stored": the thread's (buyer, seller) counters, "real": the same counted from its messages}."""
    db.session.expire_all()
    thread = db.session.get(MessageThread, thread_id)
    assert thread is not None

    def real(user_id: int) -> int:
        return db.session.scalar(
            select(func.count())
            .select_from(Message)
            .where(
                Message.thread_id == thread_id, Message.read_at.is_(None), Message.sender_user_id != user_id
            )
        )

    return {
        "stored": (thread.buyer_unread_count, thread.seller_unread_count),
        "real": (real(thread.buyer_user_id), real(thread.seller_user_id)),
    }


# --- for tests on a scratch database (tests.dbserver.scratch_app), where requests commit for real --------------


def signed_in_client(app: Flask, user_id: int) -> tuple[FlaskClient, str]:
    """A client of `app` signed in as this marketplace user, and its CSRF token."""
    with app.app_context():
        user = db.session.get(MarketplaceUser, user_id)
        identity = issue_session("marketplace", user)  # a real server-side session row
        db.session.commit()
        db.session.remove()
    client = app.test_client()
    with client.session_transaction() as session:
        session.update({"_user_id": identity, "_fresh": True})
    token = csrf_token_from(client.get("/messages").get_data(as_text=True))
    return client, token


def thread_between_two_people(app: Flask) -> tuple[dict[str, int], dict[str, str]]:
    """A committed conversation: ids of "buyer", "seller", "thread" (and "listing"), and the two e-mails."""
    with app.app_context():
        seller = MarketplaceUserFactory(user_type="service_provider")
        buyer = MarketplaceUserFactory()
        listing = ServiceListingFactory(provider_user=seller)
        thread = MessageThreadFactory(listing=listing, buyer_user=buyer)
        db.session.commit()
        ids = {"buyer": buyer.id, "seller": seller.id, "thread": thread.id, "listing": listing.id}
        emails = {"buyer": buyer.email, "seller": seller.email}
        db.session.remove()
    return ids, emails
