"""Starting a conversation from a listing: who may, one thread per (listing, buyer), the first message."""

from __future__ import annotations

import pytest
from flask import g
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from marketplace.messaging.sending import SendRefused, post_message
from models import MessageThread
from tests.factories import MarketplaceUserFactory, ServiceListingFactory
from tests.marketplace.messaging.conftest import thread_messages


def _threads_of(buyer) -> list[MessageThread]:
    db.session.expire_all()
    return list(db.session.scalars(select(MessageThread).where(MessageThread.buyer_user_id == buyer.id)))


def test_compose_form_defaults_the_subject_to_the_listing_title(client, login_as, buyer, listing):
    login_as(buyer)
    response = client.get(f"/listings/{listing.id}/message")
    assert response.status_code == 200
    assert 'value="Show grooming in Austin"' in response.get_data(as_text=True)


def test_buyer_starts_a_thread_with_the_first_message(login_as, post, buyer, seller, listing):
    login_as(buyer)
    response = post(f"/listings/{listing.id}/message", subject="", body="Do you groom poodles?")
    [thread] = _threads_of(buyer)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/messages/{thread.id}#latest")
    assert thread.seller_user_id == seller.id
    assert thread.listing_id == listing.id
    assert thread.subject == "Show grooming in Austin"
    assert thread.status == "active"
    [message] = thread_messages(thread.id)
    assert message.message_text == "Do you groom poodles?"
    assert thread.last_message_at == message.created_at


def test_a_second_message_the_seller_reopens_the_same_thread(client, login_as, post, buyer, listing):
    login_as(buyer)
    post(f"/listings/{listing.id}/message", body="First question")
    [thread] = _threads_of(buyer)
    thread.status = "archived"
    db.session.commit()

    response = client.get(f"/listings/{listing.id}/message")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/messages/{thread.id}")

    post(f"/listings/{listing.id}/message", body="Second question")
    [same] = _threads_of(buyer)
    assert same.id == thread.id
    assert same.status == "active"
    assert [m.message_text for m in thread_messages(thread.id)] == ["First question", "Second question"]


def test_one_thread_per_listing_and_buyer_is_enforced_by_the_database(buyer, listing):
    db.session.add(
        MessageThread(listing_id=listing.id, buyer_user_id=buyer.id, seller_user_id=listing.provider_user_id)
    )
    db.session.flush()
    with (
        pytest.raises(IntegrityError, match="MessageThread_listing_id_buyer_user_id_key"),
        db.session.begin_nested(),
    ):
        db.session.add(
            MessageThread(
                listing_id=listing.id, buyer_user_id=buyer.id, seller_user_id=listing.provider_user_id
            )
        )
        db.session.flush()


def test_seller_cannot_message_themselves_about_their_own_listing(client, login_as, post, seller, listing):
    login_as(seller)
    assert client.get(f"/listings/{listing.id}/message").status_code == 403
    response = post(f"/listings/{listing.id}/message", body="Talking to myself")
    assert response.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(MessageThread)) == 0


def test_unverified_user_cannot_start_a_conversation(login_as, post, listing):
    unverified = MarketplaceUserFactory(email_verified=False)
    login_as(unverified)
    response = post(f"/listings/{listing.id}/message", body="Hello")
    assert response.status_code == 403
    assert "verify your e-mail" in response.get_data(as_text=True)
    assert _threads_of(unverified) == []


@pytest.mark.parametrize("listing_status", ["draft", "inactive", "suspended"])
def test_no_conversation_on_a_listing_that_is_not_public(login_as, post, buyer, listing_status):
    hidden = ServiceListingFactory(status=listing_status)
    login_as(buyer)
    assert post(f"/listings/{hidden.id}/message", body="Hello").status_code == 404
    assert _threads_of(buyer) == []


def test_no_conversation_with_a_banned_provider(login_as, post, buyer):
    listing = ServiceListingFactory(
        provider_user=MarketplaceUserFactory(user_type="service_provider", status="banned")
    )
    login_as(buyer)
    assert post(f"/listings/{listing.id}/message", body="Hello").status_code == 404


@pytest.mark.parametrize("status", ["suspended", "banned"])
def test_suspended_or_banned_user_is_signed_out_and_cannot_send(client, login_as, csrf, status, conversation):
    user = conversation.buyer_user
    login_as(user)
    token = csrf()
    user.status = status
    db.session.commit()
    g.pop("_login_user", None)  # a new request loads the account afresh
    response = client.post(f"/messages/{conversation.id}/reply", data={"csrf_token": token, "body": "Hi"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert len(thread_messages(conversation.id)) == 3


@pytest.mark.parametrize("status", ["suspended", "banned"])
def test_sending_refuses_a_suspended_or_banned_sender_even_mid_session(app, status, conversation):
    sender = conversation.buyer_user
    sender.status = status
    with app.test_request_context(), pytest.raises(SendRefused) as refused:
        post_message(conversation.id, sender, "Hi")
    assert refused.value.status == 403
    assert len(thread_messages(conversation.id)) == 3


def test_empty_first_message_is_refused_with_422_and_nothing_is_saved(login_as, post, buyer, listing):
    login_as(buyer)
    response = post(f"/listings/{listing.id}/message", subject="Hi", body="   \r\n  ")
    assert response.status_code == 422
    assert "Write a message first." in response.get_data(as_text=True)
    assert _threads_of(buyer) == []


def test_over_long_subject_is_refused_with_422(login_as, post, buyer, listing):
    login_as(buyer)
    response = post(f"/listings/{listing.id}/message", subject="s" * 256, body="Hello")
    assert response.status_code == 422
    assert _threads_of(buyer) == []
