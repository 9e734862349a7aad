"""The thread page: order, read receipts, replies (plain and htmx), live updates, archive and block."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from models import Message, MessageThread
from tests.marketplace.messaging.conftest import make_thread, thread_messages
from tests.sessions import age_session, session_of


def _reload(thread: MessageThread) -> MessageThread:
    db.session.expire_all()
    return db.session.get(MessageThread, thread.id)


def _read_flags(thread_id: int) -> dict[str, bool]:
    return {m.message_text: m.read_at is not None for m in thread_messages(thread_id)}


def test_messages_run_oldest_to_newest(client, login_as, buyer, conversation):
    login_as(buyer)
    html = client.get(f"/messages/{conversation.id}").get_data(as_text=True)
    positions = [
        html.index(text) for text in ("Is Saturday free?", "Yes, 10am works.", "Great, see you then.")
    ]
    assert positions == sorted(positions)


def test_only_the_recipients_viewing_marks_messages_read(client, login_as, buyer, seller, conversation):
    login_as(buyer)
    client.get(f"/messages/{conversation.id}")
    # The buyer opened it: the seller's message is read, the buyer's own messages are not.
    assert _read_flags(conversation.id) == {
        "Is Saturday free?": False,
        "Yes, 10am works.": True,
        "Great, see you then.": False,
    }
    login_as(seller)
    client.get(f"/messages/{conversation.id}")
    assert all(_read_flags(conversation.id).values())


def test_the_senders_poll_does_not_mark_their_own_messages_read(client, login_as, buyer, conversation):
    login_as(buyer)
    client.get(f"/messages/{conversation.id}/updates?after=0&seen=0")
    flags = _read_flags(conversation.id)
    assert flags["Is Saturday free?"] is False
    assert flags["Great, see you then."] is False


def test_sender_sees_seen_under_their_last_read_message(client, login_as, buyer, seller, listing):
    thread = make_thread(listing, buyer, [(buyer, "First question"), (buyer, "Second question")])
    login_as(buyer)
    assert ">Seen<" not in client.get(f"/messages/{thread.id}").get_data(as_text=True)

    login_as(seller)
    client.get(f"/messages/{thread.id}")

    login_as(buyer)
    html = client.get(f"/messages/{thread.id}").get_data(as_text=True)
    last_id = thread_messages(thread.id)[-1].id
    assert f'id="receipt-{last_id}">Seen</p>' in html
    assert html.count(">Seen<") == 1


def test_plain_reply_is_stored_and_redirects_back_to_the_thread(login_as, post, seller, conversation):
    login_as(seller)
    response = post(f"/messages/{conversation.id}/reply", body="  Bring the lead, please.\r\nThanks!  ")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/messages/{conversation.id}#latest")
    last = thread_messages(conversation.id)[-1]
    assert last.message_text == "Bring the lead, please.\nThanks!"
    assert last.sender_user_id == conversation.seller_user_id


def test_htmx_reply_returns_a_fresh_form_and_appends_the_message(login_as, post, seller, conversation):
    login_as(seller)
    after = thread_messages(conversation.id)[-1].id
    response = post(f"/messages/{conversation.id}/reply", htmx=True, body="On my way", after=after, seen=0)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="reply-form"' in html
    assert 'hx-swap-oob="beforeend:#messages"' in html
    assert "On my way" in html
    new_id = thread_messages(conversation.id)[-1].id
    assert f'name="after" value="{new_id}"' in html
    # Nothing the page already shows is sent again.
    assert "Great, see you then." not in html


def test_reply_updates_last_message_at_and_reactivates_an_archived_thread(
    login_as, post, seller, listing, buyer
):
    thread = make_thread(listing, buyer, [(buyer, "Hello")], status="archived")
    before = thread.last_message_at
    login_as(seller)
    post(f"/messages/{thread.id}/reply", body="Hi back")
    thread = _reload(thread)
    assert thread.status == "active"
    assert thread.last_message_at > before
    assert thread.last_message_at == thread_messages(thread.id)[-1].created_at


def test_last_message_at_never_moves_backwards(login_as, post, seller, listing, buyer):
    thread = make_thread(listing, buyer, [(buyer, "Hello")])
    future = thread.last_message_at.replace(year=thread.last_message_at.year + 1)
    thread.last_message_at = future
    db.session.commit()
    login_as(seller)
    post(f"/messages/{thread.id}/reply", body="Hi back")
    assert _reload(thread).last_message_at == future


def test_poll_answers_204_when_nothing_changed(client, login_as, buyer, conversation):
    login_as(buyer)
    client.get(f"/messages/{conversation.id}")
    messages = thread_messages(conversation.id)
    response = client.get(f"/messages/{conversation.id}/updates?after={messages[-1].id}&seen=0")
    assert response.status_code == 204


def test_poll_delivers_the_other_persons_new_message_and_marks_it_read(
    client, login_as, post, buyer, seller, conversation
):
    login_as(buyer)
    client.get(f"/messages/{conversation.id}")
    after = thread_messages(conversation.id)[-1].id

    login_as(seller)
    client.get(f"/messages/{conversation.id}")
    post(f"/messages/{conversation.id}/reply", body="Running 5 minutes late")

    login_as(buyer)
    response = client.get(
        f"/messages/{conversation.id}/updates?after={after}&seen=0", headers={"HX-Request": "true"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Running 5 minutes late" in html
    assert 'hx-swap-oob="beforeend:#messages"' in html
    # The seller opened the thread before replying, so the buyer's last message now shows "Seen".
    buyer_last = [m for m in thread_messages(conversation.id) if m.sender_user_id == buyer.id][-1]
    assert re.search(rf'id="receipt-{buyer_last.id}" hx-swap-oob="true">Seen<', html)
    assert _read_flags(conversation.id)["Running 5 minutes late"] is True


def test_load_earlier_pages_back_through_a_long_thread(client, login_as, buyer, seller, listing):
    thread = make_thread(
        listing, buyer, [(buyer if i % 2 else seller, f"message number {i:03d}") for i in range(75)]
    )
    login_as(buyer)
    html = client.get(f"/messages/{thread.id}").get_data(as_text=True)
    assert "message number 074" in html and "message number 045" in html
    assert "message number 044" not in html
    before = re.search(r'hx-get="/messages/\d+\?before=(\d+)"', html).group(1)

    fragment = client.get(f"/messages/{thread.id}?before={before}", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert "<html" not in fragment
    assert "message number 044" in fragment and "message number 015" in fragment
    assert "message number 045" not in fragment and "message number 014" not in fragment
    assert "Load earlier messages" in fragment

    # Without JavaScript the same link is a page of its own.
    page = client.get(f"/messages/{thread.id}?before={before}").get_data(as_text=True)
    assert "message number 044" in page and "Show the latest messages" in page


def test_either_participant_can_archive_and_the_thread_moves_to_the_archived_tab(
    client, login_as, post, buyer, conversation
):
    login_as(buyer)
    response = post(f"/messages/{conversation.id}/archive")
    assert response.status_code == 302
    assert _reload(conversation).status == "archived"
    assert "Great, see you then." not in client.get("/messages").get_data(as_text=True)
    assert "Great, see you then." in client.get("/messages?tab=archived").get_data(as_text=True)


def test_block_stops_both_participants_from_sending(client, login_as, post, buyer, seller, conversation):
    login_as(seller)
    post(f"/messages/{conversation.id}/block")
    assert _reload(conversation).status == "blocked"
    for who in (seller, buyer):
        login_as(who)
        response = post(f"/messages/{conversation.id}/reply", body="Can you hear me?")
        assert response.status_code == 409
        assert "This conversation is blocked" in response.get_data(as_text=True)
    assert len(thread_messages(conversation.id)) == 3

    page = client.get(f"/messages/{conversation.id}").get_data(as_text=True)
    assert "This conversation is blocked" in page
    assert 'id="reply-form"' not in page


def test_a_thread_blocked_while_a_reply_was_on_its_way_shows_as_blocked(
    client, login_as, post, buyer, conversation, monkeypatch
):
    """The reply read the thread before the other person's block landed: refused, and the page that comes back
    (without JS) is the conversation as it is now."""
    from marketplace.messaging import routes

    read = routes.thread_view_or_404

    def read_then_blocked(thread_id: int, user_id: int):
        view = read(thread_id, user_id)
        monkeypatch.setattr(routes, "thread_view_or_404", read)
        db.session.execute(
            db.text("UPDATE \"MessageThread\" SET status = 'blocked' WHERE id = :id"), {"id": thread_id}
        )
        db.session.commit()  # as the other person's block would be
        return view

    monkeypatch.setattr(routes, "thread_view_or_404", read_then_blocked)
    login_as(buyer)
    response = post(f"/messages/{conversation.id}/reply", body="Still there?")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert '<span class="badge badge-blocked">Blocked</span>' in page
    assert 'id="reply-form"' not in page
    assert len(thread_messages(conversation.id)) == 3


def test_blocked_thread_cannot_be_archived_back_to_life(login_as, post, buyer, conversation):
    conversation.status = "blocked"
    db.session.commit()
    login_as(buyer)
    post(f"/messages/{conversation.id}/archive")
    post(f"/messages/{conversation.id}/unarchive")
    assert _reload(conversation).status == "blocked"


def test_htmx_reply_to_a_blocked_thread_reloads_the_page(login_as, post, buyer, conversation):
    conversation.status = "blocked"
    db.session.commit()
    login_as(buyer)
    response = post(f"/messages/{conversation.id}/reply", htmx=True, body="hello")
    assert response.headers.get("HX-Refresh") == "true"
    assert len(thread_messages(conversation.id)) == 3


def test_poll_of_a_thread_blocked_meanwhile_reloads_the_page(client, login_as, buyer, conversation):
    conversation.status = "blocked"
    db.session.commit()
    login_as(buyer)
    response = client.get(f"/messages/{conversation.id}/updates?after=0", headers={"HX-Request": "true"})
    assert response.headers.get("HX-Refresh") == "true"


def test_nonsense_cursor_values_do_not_break_the_poll(client, login_as, buyer, conversation):
    login_as(buyer)
    for query in ("after=abc&seen=xyz", "after=-5", "after=99999999999999999999", "seen=1e9"):
        assert client.get(f"/messages/{conversation.id}/updates?{query}").status_code in (200, 204), query


def test_messages_are_stored_with_the_sender_from_the_session_not_the_form(
    login_as, post, seller, buyer, conversation
):
    login_as(seller)
    post(f"/messages/{conversation.id}/reply", body="It's me", sender_user_id=buyer.id)
    last = db.session.scalars(
        select(Message).where(Message.thread_id == conversation.id).order_by(Message.id.desc()).limit(1)
    ).one()
    assert last.sender_user_id == seller.id


def test_the_pages_own_polling_does_not_keep_an_idle_session_alive(client, login_as, buyer, conversation):
    login_as(buyer)
    poll = f"/messages/{conversation.id}/updates?after=0&seen=0"
    # The person last did something 29 minutes ago.
    row = age_session(client, idle=timedelta(minutes=29), since_sign_in=timedelta(hours=1))
    last_used = row.last_used_at
    assert client.get(poll, headers={"HX-Request": "true"}).status_code in (200, 204)
    assert session_of(client).last_used_at == last_used  # a poll is not the person being active
    age_session(client, idle=timedelta(minutes=31), since_sign_in=timedelta(hours=1))
    response = client.get(poll, headers={"HX-Request": "true"})
    assert response.status_code == 204 and "HX-Redirect" in response.headers  # signed out: sent to sign in
