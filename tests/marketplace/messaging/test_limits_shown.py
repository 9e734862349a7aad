"""Limits shown before they bite: "Message the seller" tells a new account how many new conversations are left
when few are, is replaced at the limit by when it resets, and refusals give the limit and the reset time."""

from __future__ import annotations

import re

from app.extensions import db
from tests.factories import ServiceListingFactory

LEFT = re.compile(r"You can start (\d) more new\s+conversations? until (\w{3} \d+, \d\d:\d\d) (\w+)")


def _listing_page(client, listing) -> str:
    response = client.get(f"/listings/{listing.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_new_account_sees_what_is_left_and_then_when_it_resets(client, login_as, post, buyer):
    listings = ServiceListingFactory.create_batch(4)
    db.session.commit()
    login_as(buyer)

    page = _listing_page(client, listings[3])
    assert "Message the seller" in page and not LEFT.search(page)  # 3 of 3 left: plenty, nothing to say

    post(f"/listings/{listings[0].id}/message", body="Hi")
    page = _listing_page(client, listings[3])
    assert LEFT.search(page).group(1) == "2" and "new accounts: 3 a day" in page
    post(f"/listings/{listings[1].id}/message", body="Hi")
    assert LEFT.search(_listing_page(client, listings[3])).group(1) == "1"
    compose = client.get(f"/listings/{listings[3].id}/message").get_data(as_text=True)
    assert LEFT.search(compose).group(1) == "1"  # the form says it too

    post(f"/listings/{listings[2].id}/message", body="Hi")
    page = _listing_page(client, listings[3])
    assert f'href="/listings/{listings[3].id}/message"' not in page  # the button is replaced...
    assert re.search(
        r"You can message this seller from \w{3} \d+, \d\d:\d\d UTC", page
    )  # ...by the reset time
    assert "the most new accounts can start a day" in " ".join(page.split())

    # A listing whose conversation already exists starts nothing new: its button stays, with nothing to warn.
    page = _listing_page(client, listings[0])
    assert f'href="/listings/{listings[0].id}/message"' in page and "You can message this seller" not in page


def test_the_refusal_gives_the_limit_and_the_reset_time_on_the_readers_clock(client, login_as, post, buyer):
    buyer.time_zone = "America/Chicago"
    listings = ServiceListingFactory.create_batch(4)
    db.session.commit()
    login_as(buyer)
    for item in listings[:3]:
        post(f"/listings/{item.id}/message", body="Hi")

    response = post(f"/listings/{listings[3].id}/message", body="Hi")
    text = " ".join(response.get_data(as_text=True).split())
    assert response.status_code == 429
    assert "as many new conversations as a new account can: 3 a day" in text
    assert re.search(r"You can start another from \w{3} \d+, \d\d:\d\d (CST|CDT)\.", text)


def test_sending_too_fast_says_how_many_and_when(login_as, post, buyer, conversation):
    login_as(buyer)
    for n in range(30):
        post(f"/messages/{conversation.id}/reply", body=f"note {n}")
    response = post(f"/messages/{conversation.id}/reply", htmx=True, body="one more")
    text = " ".join(response.get_data(as_text=True).split())
    assert response.status_code == 429
    assert "you can send 30 messages every 10 minutes" in text
    assert re.search(r"You can send again from \w{3} \d+, \d\d:\d\d UTC\.", text)


def test_nobody_signed_in_and_the_seller_see_no_allowance(client, login_as, seller, listing):
    assert not LEFT.search(_listing_page(client, listing))
    login_as(seller)
    page = _listing_page(client, listing)
    assert not LEFT.search(page) and "Edit this listing" in page
