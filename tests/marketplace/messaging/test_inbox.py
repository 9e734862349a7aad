"""The inbox and the nav badge: every thread of the user, newest activity first, unread counts exact."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.factories import MarketplaceUserFactory, ServiceListingFactory
from tests.marketplace.messaging.conftest import make_thread
from tests.query_count import count_queries


def _badge(html: str) -> int:
    match = re.search(r"data-unread-badge>(\d+)<", html)
    return int(match.group(1)) if match else 0


def _row_order(html: str, names: list[str]) -> list[str]:
    return sorted(names, key=html.index)


def test_inbox_lists_buying_and_selling_threads_newest_first(client, login_as, buyer, seller, listing):
    other_listing = ServiceListingFactory(title="Puppy training")
    as_buyer = make_thread(other_listing, seller, [(seller, "Seller asks about training")])
    as_seller = make_thread(listing, buyer, [(buyer, "Buyer asks about grooming")])
    as_buyer.last_message_at = as_seller.last_message_at + timedelta(minutes=5)
    login_as(seller)

    html = client.get("/messages").get_data(as_text=True)
    assert _row_order(html, ["Puppy training", "Show grooming in Austin"]) == [
        "Puppy training",
        "Show grooming in Austin",
    ]
    assert "You: Seller asks about training" in html
    assert "Bailey Buyer" in html  # the other person of the selling thread
    for thread in (as_buyer, as_seller):  # each row opens its own conversation
        assert f'id="inbox-thread-{thread.id}" href="/messages/{thread.id}"' in html

    buying = client.get("/messages?tab=buying").get_data(as_text=True)
    selling = client.get("/messages?tab=selling").get_data(as_text=True)
    assert "Puppy training" in buying and "Show grooming in Austin" not in buying
    assert "Show grooming in Austin" in selling and "Puppy training" not in selling


def test_unread_counts_before_and_after_reading(client, login_as, buyer, seller, listing):
    thread = make_thread(
        listing, buyer, [(buyer, "one"), (buyer, "two"), (seller, "reply"), (buyer, "three")]
    )
    login_as(seller)
    html = client.get("/messages").get_data(as_text=True)
    assert _badge(html) == 3
    assert re.search(r'class="badge badge-count">3<span class="visually-hidden"> unread', html)

    login_as(buyer)
    assert _badge(client.get("/messages").get_data(as_text=True)) == 1

    login_as(seller)
    client.get(f"/messages/{thread.id}")
    assert _badge(client.get("/messages").get_data(as_text=True)) == 0

    login_as(buyer)  # the seller reading changed nothing for the buyer
    assert _badge(client.get("/messages").get_data(as_text=True)) == 1


def test_badge_shows_on_other_pages_too(client, login_as, buyer, seller, listing):
    make_thread(listing, buyer, [(buyer, "hello")])
    login_as(seller)
    assert _badge(client.get("/").get_data(as_text=True)) == 1


def test_unknown_tab_falls_back_to_all(client, login_as, buyer, conversation):
    login_as(buyer)
    response = client.get("/messages?tab=<script>&page=-3")
    assert response.status_code == 200
    assert "Great, see you then." in response.get_data(as_text=True)


def test_htmx_tab_switch_returns_only_the_list(client, login_as, buyer, conversation):
    login_as(buyer)
    response = client.get("/messages?tab=buying", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert "<html" not in html
    assert 'id="inbox"' in html
    assert "HX-Request" in response.headers.get("Vary", "")


def test_inbox_pages_through_many_threads(client, login_as, seller):
    buyers = MarketplaceUserFactory.create_batch(27)
    for index, someone in enumerate(buyers):
        make_thread(
            ServiceListingFactory(provider_user=seller, title=f"Listing {index:02d}"),
            someone,
            [(someone, "hi")],
        )
    login_as(seller)
    first = client.get("/messages").get_data(as_text=True)
    second = client.get("/messages?page=2").get_data(as_text=True)
    assert first.count('class="inbox-row') == 25
    assert second.count('class="inbox-row') == 2
    assert "Older" in first and "Newer" in second


def test_inbox_runs_a_fixed_number_of_queries_whatever_the_number_of_threads(client, login_as, seller):
    def queries_for_inbox() -> int:
        login_as(seller)
        with count_queries() as statements:
            response = client.get("/messages")
        assert response.status_code == 200
        return len(statements)

    someone = MarketplaceUserFactory()
    make_thread(ServiceListingFactory(provider_user=seller), someone, [(someone, "hi")])
    few = queries_for_inbox()
    for _ in range(20):
        buyer = MarketplaceUserFactory()
        make_thread(
            ServiceListingFactory(provider_user=seller), buyer, [(buyer, "a"), (seller, "b"), (buyer, "c")]
        )
    many = queries_for_inbox()
    assert few == many
    assert many <= 5  # user, list, nav badges (2), and the live poll's signature


def test_history_restore_gets_the_whole_inbox_page(client, login_as, buyer, conversation):
    login_as(buyer)
    response = client.get(
        "/messages?tab=buying", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in response.get_data(as_text=True)
