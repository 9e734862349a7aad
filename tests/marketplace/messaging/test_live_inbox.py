"""The open inbox updates itself: a poll every few seconds is a 204 while nothing changed, and brings the new list
and nav badge (out of band) when a message arrives. It never keeps an idle session alive."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

from tests.factories import ServiceListingFactory
from tests.marketplace.messaging.conftest import make_thread
from tests.query_count import count_queries
from tests.sessions import age_session, session_of

HTMX = {"HX-Request": "true"}


def _poll_url(html: str) -> str:
    match = re.search(r'class="inbox-poller"[^>]*hx-get="([^"]+)"', html)
    assert match, "the inbox should carry its poller"
    return unescape(match.group(1))


def test_a_poll_while_nothing_changed_is_a_204_from_one_statement(client, login_as, buyer, conversation):
    login_as(buyer)
    poll = _poll_url(client.get("/messages").get_data(as_text=True))

    with count_queries() as statements:
        response = client.get(poll, headers=HTMX)

    assert response.status_code == 204 and response.get_data() == b""
    signature_statements = [s for s in statements if "last_message_at" in s]
    assert len(signature_statements) == 1
    assert len(statements) <= 2  # the signed-in user with their linked breeders (row security), the signature


def test_a_new_message_brings_the_new_list_and_badge_out_of_band(client, login_as, buyer, seller, listing):
    first = make_thread(listing, buyer, [(buyer, "Is Saturday free?")])
    login_as(seller)
    poll = _poll_url(client.get("/messages?tab=selling").get_data(as_text=True))
    assert "tab=selling" in poll

    puppy_class = ServiceListingFactory(provider_user=seller, title="Puppy class")
    make_thread(puppy_class, buyer, [(buyer, "Room for one more?"), (buyer, "Two, actually.")])
    response = client.get(poll, headers=HTMX)

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r'<div id="inbox"[^>]*hx-swap-oob="true"', html)
    assert re.search(r'<a href="/messages" id="nav-inbox"[^>]*hx-swap-oob="true"', html)
    assert "Room for one more?" not in html  # the snippet shows the newest message
    assert "Two, actually." in html and "Is Saturday free?" in html
    assert re.search(r"data-unread-badge>3<", html)
    assert f'id="inbox-thread-{first.id}"' in html  # ids keep a focused row focused across the swap
    new_poll = _poll_url(html)
    assert new_poll != poll and "tab=selling" in new_poll
    assert client.get(new_poll, headers=HTMX).status_code == 204


def test_reading_a_thread_elsewhere_changes_the_badge_on_the_next_poll(
    client, login_as, seller, conversation
):
    login_as(seller)
    poll = _poll_url(client.get("/messages").get_data(as_text=True))
    client.get(f"/messages/{conversation.id}")  # read in another tab

    html = client.get(poll, headers=HTMX).get_data(as_text=True)
    assert 'id="nav-inbox"' in html and "data-unread-badge" not in html


def test_another_users_poll_never_shows_this_inbox(client, login_as, outsider, conversation):
    login_as(outsider)
    response = client.get("/messages/inbox-updates?since=stale", headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Great, see you then." not in html and "No conversations yet." in html


def test_hostile_parameters_are_harmless(client, login_as, buyer, conversation):
    login_as(buyer)
    for query in (
        "tab=<script>&page=-3&since=<b>",
        "page=99999999999999999999",
        "tab=archived&page=2",
    ):
        response = client.get(f"/messages/inbox-updates?{query}", headers=HTMX)
        assert response.status_code in (200, 204), query
        assert "<script>" not in response.get_data(as_text=True)
    nul = client.get("/messages/inbox-updates?since=%00", headers=HTMX)
    assert nul.status_code == 400  # the app-wide rule: a NUL anywhere in a request is refused


def test_signed_out_polls_are_sent_to_sign_in(client):
    response = client.get("/messages/inbox-updates", headers=HTMX)
    assert response.status_code in (204, 401) and "HX-Redirect" in response.headers


def test_the_inbox_poll_does_not_keep_an_idle_session_alive(client, login_as, buyer, conversation):
    login_as(buyer)
    poll = _poll_url(client.get("/messages").get_data(as_text=True))
    row = age_session(client, idle=timedelta(minutes=29), since_sign_in=timedelta(hours=1))
    last_used = row.last_used_at
    assert client.get(poll, headers=HTMX).status_code == 204
    assert session_of(client).last_used_at == last_used  # a poll is not the person being active
    age_session(client, idle=timedelta(minutes=31), since_sign_in=timedelta(hours=1))
    response = client.get(poll, headers=HTMX)
    assert response.status_code == 204 and "HX-Redirect" in response.headers  # signed out: sent to sign in
