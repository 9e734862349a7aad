"""The per-thread unread counters behind the nav badge stay exact through sends, reads and deletes,
and the badge is one query over them."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from marketplace.messaging.queries import unread_total
from models import MarketplaceUser, Message, MessageThread
from models.types import utcnow
from tests.factories import MarketplaceUserFactory, MessageFactory, ServiceListingFactory
from tests.marketplace.messaging.conftest import make_thread, unread_counters
from tests.query_count import count_queries


def test_counters_follow_replies_and_reading_through_the_site(
    client, login_as, post, buyer, seller, conversation
):
    # The fixture's messages: buyer, seller, buyer; all unread.
    assert unread_counters(conversation.id) == {"stored": (1, 2), "real": (1, 2)}

    login_as(seller)
    client.get(f"/messages/{conversation.id}")  # the seller reads the buyer's two messages
    assert unread_counters(conversation.id)["stored"] == (1, 0)
    assert post(f"/messages/{conversation.id}/reply", body="See you at ten.").status_code == 302
    assert unread_counters(conversation.id) == {"stored": (2, 0), "real": (2, 0)}

    login_as(buyer)
    client.get(f"/messages/{conversation.id}")
    assert unread_counters(conversation.id) == {"stored": (0, 0), "real": (0, 0)}


def test_viewing_a_thread_with_nothing_unread_writes_nothing(client, login_as, seller, conversation):
    login_as(seller)
    with count_queries() as first_view:
        assert client.get(f"/messages/{conversation.id}").status_code == 200
    assert any(statement.lstrip().upper().startswith("UPDATE") for statement in first_view)
    assert unread_counters(conversation.id)["stored"] == (1, 0)

    with count_queries() as second_view:
        page = client.get(f"/messages/{conversation.id}")
    assert page.status_code == 200 and conversation.subject in page.get_data(as_text=True)
    assert not [s for s in second_view if s.lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE"))]
    assert unread_counters(conversation.id) == {"stored": (1, 0), "real": (1, 0)}


def test_deleting_an_unread_message_lowers_the_count_and_a_read_one_does_not(buyer, seller, listing):
    thread = make_thread(listing, buyer, [(buyer, "unread"), (buyer, "will be read"), (seller, "reply")])
    db.session.execute(update(Message).where(Message.message_text == "will be read").values(read_at=utcnow()))
    assert unread_counters(thread.id)["stored"] == (1, 1)

    db.session.execute(delete(Message).where(Message.message_text == "will be read"))
    assert unread_counters(thread.id)["stored"] == (1, 1)
    db.session.execute(delete(Message).where(Message.message_text == "unread"))
    assert unread_counters(thread.id) == {"stored": (1, 0), "real": (1, 0)}


def test_bulk_writes_to_many_threads_in_one_statement_keep_every_counter_exact(buyer, seller):
    threads = [
        make_thread(
            ServiceListingFactory(provider_user=seller), buyer, [(buyer, "a"), (seller, "b"), (buyer, "c")]
        )
        for _ in range(3)
    ]
    ids = [thread.id for thread in threads]
    # Read half of them, edit the text of all (no change in unread), move one message to another thread.
    db.session.execute(
        update(Message)
        .where(Message.thread_id.in_(ids[:2]), Message.message_text == "a")
        .values(read_at=utcnow())
    )
    db.session.execute(
        update(Message).where(Message.thread_id.in_(ids)).values(message_text=Message.message_text + "!")
    )
    db.session.execute(
        update(Message)
        .where(Message.thread_id == ids[0], Message.message_text == "b!")
        .values(thread_id=ids[2])
    )
    for thread_id in ids:
        counters = unread_counters(thread_id)
        assert counters["stored"] == counters["real"]
    assert [unread_counters(thread_id)["stored"] for thread_id in ids] == [(0, 1), (1, 1), (2, 2)]


def test_a_thread_whose_buyer_changes_is_recounted(buyer, seller, listing):
    thread = make_thread(listing, buyer, [(buyer, "from the buyer"), (seller, "from the seller")])
    newcomer = MarketplaceUserFactory()
    db.session.execute(
        update(MessageThread).where(MessageThread.id == thread.id).values(buyer_user_id=newcomer.id)
    )
    # Now nobody in the thread sent "from the buyer": both sides count it as unread.
    assert unread_counters(thread.id) == {"stored": (2, 1), "real": (2, 1)}


def test_deleting_a_user_removes_their_threads_and_messages_without_error(buyer, seller, listing):
    kept = make_thread(
        ServiceListingFactory(provider_user=seller), MarketplaceUserFactory(), [(seller, "hi")]
    )
    make_thread(listing, buyer, [(buyer, "hello"), (seller, "hi there")])
    db.session.execute(delete(MarketplaceUser).where(MarketplaceUser.id == buyer.id))
    assert unread_counters(kept.id) == {"stored": (1, 0), "real": (1, 0)}


def test_a_counter_cannot_go_negative(conversation):
    with (
        pytest.raises(IntegrityError, match="MessageThread_seller_unread_count_check"),
        db.session.begin_nested(),
    ):
        db.session.execute(
            update(MessageThread).where(MessageThread.id == conversation.id).values(seller_unread_count=-1)
        )


def test_badge_is_one_query_summing_both_roles_over_every_thread(buyer, seller, listing):
    make_thread(listing, buyer, [(buyer, "one"), (buyer, "two"), (seller, "mine")])
    make_thread(ServiceListingFactory(provider_user=seller), MarketplaceUserFactory(), [(seller, "mine too")])
    other_seller = MarketplaceUserFactory()
    make_thread(ServiceListingFactory(provider_user=other_seller), seller, [(other_seller, "to you")] * 4)
    read = make_thread(ServiceListingFactory(provider_user=seller), MarketplaceUserFactory(), [])
    MessageFactory(thread=read, sender=read.buyer_user, read_at=utcnow())
    db.session.flush()

    seller_id = seller.id
    with count_queries() as statements:
        total = unread_total(seller_id)
    assert total == 2 + 4
    assert len(statements) == 1
    assert unread_total(buyer.id) == 1
    assert unread_total(MarketplaceUserFactory().id) == 0


def test_inbox_rows_show_each_sides_own_count(client, login_as, buyer, seller, listing):
    make_thread(listing, buyer, [(buyer, "one"), (buyer, "two"), (seller, "reply")])
    login_as(seller)
    assert 'class="badge badge-count">2<' in client.get("/messages").get_data(as_text=True)
    login_as(buyer)
    assert 'class="badge badge-count">1<' in client.get("/messages").get_data(as_text=True)
