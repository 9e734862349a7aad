"""A message is stored once per form: posting the same form again (a retry after an answer that never arrived, a
double click) finds the message the first post stored and answers as if it had just been sent.

The key is the form's hidden `idempotency_key`, new each time a reply or "Message the seller" form is rendered.
The tests with parallel requests and a failing database are in test_idempotency_concurrency.py."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from models import Message, MessageThread
from tests.factories import ServiceListingFactory
from tests.marketplace.messaging.conftest import make_thread, thread_messages

KEY = "retry-key-0123456789abcdef"
KEY_RE = re.compile(r'name="idempotency_key" type="hidden" value="([^"]+)"')


def form_key(html: str) -> str:
    match = KEY_RE.search(html)
    assert match, "the form carries no idempotency key"
    return match.group(1)


def _texts(thread_id: int) -> list[tuple[int, str]]:
    return [(m.sender_user_id, m.message_text) for m in thread_messages(thread_id)]


def test_each_rendering_of_the_reply_form_carries_a_new_key(client, login_as, buyer, conversation):
    login_as(buyer)
    keys = {form_key(client.get(f"/messages/{conversation.id}").get_data(as_text=True)) for _ in range(3)}
    assert len(keys) == 3


def test_a_reply_posted_twice_with_its_key_is_stored_once(login_as, post, buyer, conversation):
    login_as(buyer)
    before = _texts(conversation.id)
    answers = [post(f"/messages/{conversation.id}/reply", body="See you at ten.", idempotency_key=KEY)]
    answers.append(post(f"/messages/{conversation.id}/reply", body="See you at ten.", idempotency_key=KEY))

    assert [a.status_code for a in answers] == [302, 302]
    assert {a.headers["Location"] for a in answers} == {f"/messages/{conversation.id}#latest"}
    assert _texts(conversation.id) == [*before, (buyer.id, "See you at ten.")]


def test_an_htmx_retry_gets_a_fresh_form_and_the_message_once(login_as, post, buyer, conversation):
    login_as(buyer)
    last_id = thread_messages(conversation.id)[-1].id
    form = {"body": "On my way.", "idempotency_key": KEY, "after": str(last_id)}
    first = post(f"/messages/{conversation.id}/reply", htmx=True, **form)
    retry = post(f"/messages/{conversation.id}/reply", htmx=True, **form)

    assert (first.status_code, retry.status_code) == (200, 200)
    page = retry.get_data(as_text=True)
    assert page.count("On my way.") == 1  # the stored message, among the thread's updates
    assert form_key(page) != KEY  # the next message is a new one
    assert [text for _, text in _texts(conversation.id)].count("On my way.") == 1


def test_without_a_key_or_with_a_malformed_one_each_post_is_a_new_message(
    login_as, post, buyer, conversation
):
    """A missing or garbled key is no error (an old page, a hand-made post): nothing can be matched, so each post
    is stored as the new message it may be."""
    login_as(buyer)
    for key in (None, None, "<script>x</script>", "<script>x</script>", "short"):
        form = {"body": "Again"} if key is None else {"body": "Again", "idempotency_key": key}
        assert post(f"/messages/{conversation.id}/reply", **form).status_code == 302
    assert [text for _, text in _texts(conversation.id)].count("Again") == 5


def test_the_same_key_from_the_other_person_or_in_another_thread_is_another_message(
    client, login_as, post, buyer, seller, conversation
):
    other_thread = make_thread(ServiceListingFactory(), seller, [])  # the seller, as a buyer elsewhere
    login_as(buyer)
    assert (
        post(f"/messages/{conversation.id}/reply", body="Buyer's words", idempotency_key=KEY).status_code
        == 302
    )
    login_as(seller)
    assert (
        post(f"/messages/{conversation.id}/reply", body="Seller's words", idempotency_key=KEY).status_code
        == 302
    )
    assert (
        post(f"/messages/{other_thread.id}/reply", body="Elsewhere", idempotency_key=KEY).status_code == 302
    )

    assert _texts(conversation.id)[-2:] == [(buyer.id, "Buyer's words"), (seller.id, "Seller's words")]
    assert _texts(other_thread.id) == [(seller.id, "Elsewhere")]
    # The seller's page shows each message under its own sender, never the buyer's text as the answer to theirs.
    page = client.get(f"/messages/{other_thread.id}").get_data(as_text=True)
    assert "Elsewhere" in page and "Buyer&#39;s words" not in page and "Buyer's words" not in page


def test_someone_outside_the_thread_with_its_key_gets_a_404_and_stores_nothing(
    login_as, post, buyer, outsider, conversation
):
    login_as(buyer)
    post(f"/messages/{conversation.id}/reply", body="Private", idempotency_key=KEY)
    before = _texts(conversation.id)
    login_as(outsider)
    assert (
        post(f"/messages/{conversation.id}/reply", body="Let me in", idempotency_key=KEY).status_code == 404
    )
    assert _texts(conversation.id) == before


def test_a_retry_after_the_thread_was_blocked_is_still_the_message_sent_before(
    login_as, post, buyer, conversation
):
    login_as(buyer)
    assert (
        post(f"/messages/{conversation.id}/reply", body="Last words", idempotency_key=KEY).status_code == 302
    )
    conversation.status = "blocked"
    db.session.commit()

    assert (
        post(f"/messages/{conversation.id}/reply", body="Last words", idempotency_key=KEY).status_code == 302
    )
    refused = post(f"/messages/{conversation.id}/reply", body="New words", idempotency_key=KEY[::-1])
    assert refused.status_code == 409
    assert [text for _, text in _texts(conversation.id)].count("Last words") == 1
    assert "New words" not in [text for _, text in _texts(conversation.id)]


def test_message_the_seller_posted_twice_makes_one_conversation_with_one_message(
    client, login_as, post, buyer, listing
):
    login_as(buyer)
    key = form_key(client.get(f"/listings/{listing.id}/message").get_data(as_text=True))
    answers = [
        post(f"/listings/{listing.id}/message", subject="", body="Do you groom poodles?", idempotency_key=key)
        for _ in range(2)
    ]
    db.session.expire_all()
    [thread] = db.session.scalars(select(MessageThread).where(MessageThread.buyer_user_id == buyer.id)).all()
    assert [a.status_code for a in answers] == [302, 302]
    assert {a.headers["Location"] for a in answers} == {f"/messages/{thread.id}#latest"}
    assert _texts(thread.id) == [(buyer.id, "Do you groom poodles?")]
    assert db.session.scalar(select(Message.idempotency_key).where(Message.thread_id == thread.id)) == key
