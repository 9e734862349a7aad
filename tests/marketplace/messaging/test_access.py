"""Who may see and act on a conversation: only its two participants; everyone else gets 404 or sign-in."""

from __future__ import annotations

import pytest

from app.extensions import db
from tests.factories import ContactFactory
from tests.marketplace.messaging.conftest import thread_messages

POST_ACTIONS = [
    ("reply", {"body": "let me in"}),
    ("archive", {}),
    ("unarchive", {}),
    ("block", {}),
]
GET_PATHS = ["/messages/{id}", "/messages/{id}/updates?after=0", "/messages/{id}?before=999999"]


@pytest.mark.parametrize("path", GET_PATHS)
def test_non_participant_cannot_view_poll_or_page_through_a_thread(
    client, login_as, outsider, conversation, path
):
    login_as(outsider)
    response = client.get(path.format(id=conversation.id))
    assert response.status_code == 404
    assert "Is Saturday free?" not in response.get_data(as_text=True)


@pytest.mark.parametrize(("action", "form"), POST_ACTIONS)
def test_non_participant_cannot_reply_archive_or_block(login_as, post, outsider, conversation, action, form):
    login_as(outsider)
    status_before = conversation.status
    response = post(f"/messages/{conversation.id}/{action}", **form)
    assert response.status_code == 404
    assert len(thread_messages(conversation.id)) == 3
    db.session.refresh(conversation)
    assert conversation.status == status_before


def test_non_participant_gets_404_even_for_an_invalid_reply(login_as, post, outsider, conversation):
    login_as(outsider)
    assert post(f"/messages/{conversation.id}/reply", body="").status_code == 404


@pytest.mark.parametrize(("action", "form"), POST_ACTIONS)
def test_acting_on_a_thread_that_does_not_exist_is_404(login_as, post, buyer, action, form):
    login_as(buyer)
    assert post(f"/messages/987654/{action}", **form).status_code == 404


@pytest.mark.parametrize("path", ["/messages", "/messages/{id}", "/listings/{listing}/message"])
def test_anonymous_visitor_is_sent_to_sign_in(client, conversation, path):
    response = client.get(path.format(id=conversation.id, listing=conversation.listing_id))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_anonymous_reply_is_sent_to_sign_in_and_not_stored(client, csrf, conversation):
    response = client.post(
        f"/messages/{conversation.id}/reply", data={"csrf_token": csrf(), "body": "hello?"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert len(thread_messages(conversation.id)) == 3


def test_anonymous_htmx_poll_is_redirected_to_sign_in_by_header(client, conversation):
    response = client.get(f"/messages/{conversation.id}/updates?after=0", headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"].startswith("/login")


def test_portal_contact_is_sent_to_marketplace_sign_in(client, login_as, conversation):
    login_as(ContactFactory())
    for path in ("/messages", f"/messages/{conversation.id}", f"/listings/{conversation.listing_id}/message"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("who", ["buyer", "seller"])
def test_both_participants_can_open_the_thread(client, login_as, conversation, request, who):
    login_as(request.getfixturevalue(who))
    response = client.get(f"/messages/{conversation.id}")
    assert response.status_code == 200
    assert "Is Saturday free?" in response.get_data(as_text=True)


def test_reply_without_csrf_token_is_rejected_and_not_stored(client, login_as, buyer, conversation):
    login_as(buyer)
    response = client.post(f"/messages/{conversation.id}/reply", data={"body": "no token"})
    assert response.status_code == 400
    assert len(thread_messages(conversation.id)) == 3


@pytest.mark.parametrize("action", ["archive", "block"])
def test_archive_and_block_without_csrf_token_are_rejected(client, login_as, buyer, conversation, action):
    login_as(buyer)
    response = client.post(f"/messages/{conversation.id}/{action}")
    assert response.status_code == 400
    db.session.refresh(conversation)
    assert conversation.status == "active"


def test_thread_is_visible_only_to_its_participants_in_the_inbox(client, login_as, outsider, conversation):
    login_as(outsider)
    assert "Is Saturday free?" not in client.get("/messages").get_data(as_text=True)


@pytest.mark.parametrize(
    "path", ["/messages/99999999999", "/messages/99999999999/updates", "/listings/99999999999/message"]
)
def test_ids_too_big_for_the_database_are_404_not_500(client, login_as, buyer, path):
    login_as(buyer)
    assert client.get(path).status_code == 404
