"""`/providers/<id>`: who the provider is, their public listings, their rating, and their reply rate and time as
computed from the real message timestamps (cached for PROVIDER_STATS_TTL_SECONDS); a 404 for anyone not publicly
visible; the same statements whatever the provider's size; linked from listing pages and search cards."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from app.extensions import db
from marketplace.providers.queries import initials, refresh_response_stats
from marketplace.reviews.forms import ReviewDetails
from marketplace.reviews.writing import post_review
from models import ProviderStats
from models.types import utcnow
from tests.factories import (
    MarketplaceTransactionFactory,
    MarketplaceUserFactory,
    MessageFactory,
    MessageThreadFactory,
    ServiceListingFactory,
    TenantFactory,
)
from tests.marketplace.sales.conftest import verified_seller
from tests.query_count import count_queries


@pytest.fixture
def provider():
    return verified_seller(TenantFactory(), first_name="Gwen", last_name="Hale")


def words(html: str) -> str:
    """The page's text as a reader hears it: tags removed, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split()).replace(" )", ")").replace("( ", "(")


def _html(client, provider_id: int, query: str = "") -> str:
    response = client.get(f"/providers/{provider_id}{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _review(provider, rating: int, text: str = "Fine.") -> None:
    buyer = MarketplaceUserFactory()
    sale = MarketplaceTransactionFactory(
        provider_tenant_id=provider.tenant_id,
        provider_user_id=provider.id,
        client_user_id=buyer.id,
        status="completed",
    )
    post_review(buyer, sale.id, ReviewDetails(rating, text), throttle=False)


# --- who and what ----------------------------------------------------------------------------------------------


def test_the_page_shows_name_initials_member_since_badge_public_listings_and_rating(client, provider):
    ServiceListingFactory(provider_user=provider, title="Show grooming")
    ServiceListingFactory(provider_user=provider, title="Draft grooming", status="draft")
    ServiceListingFactory(provider_user=provider, title="Suspended grooming", status="suspended")
    _review(provider, 5)
    _review(provider, 4)
    _review(provider, 4)

    html = _html(client, provider.id)

    assert "<h1>Gwen Hale</h1>" in html and ">GH</span>" in html
    assert "Verified breeder" in html and f"Member since {provider.created_at:%B %Y}" in html
    assert "Show grooming" in html and "Draft grooming" not in html and "Suspended grooming" not in html
    assert "★ Rated 4.3 out of 5 (3 reviews)" in words(html)


def test_an_avatar_url_shows_as_the_picture_and_an_unsafe_one_falls_back_to_initials(client, provider):
    provider.avatar_url = "https://cdn.example/gwen.jpg"
    db.session.flush()
    assert 'src="https://cdn.example/gwen.jpg"' in _html(client, provider.id)

    provider.avatar_url = "javascript:alert(1)"
    db.session.flush()
    html = _html(client, provider.id)
    assert "javascript:" not in html and ">GH</span>" in html


def test_unverified_provider_has_no_badge_and_no_reviews_says_so(client):
    provider = MarketplaceUserFactory(user_type="both", first_name="Tom", last_name=None)
    html = _html(client, provider.id)
    assert "Verified breeder" not in html and "No reviews yet." in html and ">T</span>" in html


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Sam Seller", "SS"), ("Dr. Priya Raman", "DR"), ("cher", "C"), ("🐶 Max", "M"), ("", "?")],
)
def test_initials(name, expected):
    assert initials(name) == expected


@pytest.mark.parametrize(
    "fields",
    [{"status": "suspended"}, {"status": "banned"}, {"user_type": "buyer"}],
    ids=["suspended", "banned", "plain buyer"],
)
def test_a_provider_not_publicly_visible_is_404(client, fields):
    user = MarketplaceUserFactory(**{"user_type": "service_provider", **fields})
    ServiceListingFactory(provider_user=user)
    assert client.get(f"/providers/{user.id}").status_code == 404


def test_an_unknown_provider_is_404(client):
    assert client.get("/providers/2147483647").status_code == 404
    assert client.get("/providers/2147483648").status_code == 404


def test_listing_pages_and_search_cards_link_to_the_provider_page_with_the_rating(client, provider):
    listing = ServiceListingFactory(provider_user=provider, title="Linked narwhal grooming")
    _review(provider, 5)
    _review(provider, 2)

    for path in (f"/listings/{listing.id}", "/listings?q=narwhal"):
        html = client.get(path).get_data(as_text=True)
        assert f'href="/providers/{provider.id}' in html, path
        assert "★ Rated 3.5 out of 5 (2 reviews)" in words(html), path


def test_reviews_page_by_page_newest_first(client, provider):
    from marketplace.reviews.queries import REVIEWS_PAGE_SIZE

    for number in range(REVIEWS_PAGE_SIZE + 3):
        _review(provider, 5, f"Review number {number:02d}.")

    first = _html(client, provider.id)
    assert "Review number 12." in first and "Review number 03." in first and "Review number 02." not in first
    older = first.split('href="/providers/')[-1]
    assert "Older reviews" in first
    cursor = older.split('"')[0].replace("&amp;", "&")
    second = _html(client, int(cursor.split("?")[0]), "?" + cursor.split("?")[1].split("#")[0])
    assert (
        "Review number 02." in second and "Review number 00." in second and "Review number 03." not in second
    )
    assert "Older reviews" not in second and "Newest reviews" in second


# --- reply rate and time ---------------------------------------------------------------------------------------


def _conversation(provider, started_ago: timedelta, messages: list[tuple[str, timedelta]], **thread):
    """A thread where `provider` sells; messages are (sender "buyer"/"seller"/"deal", time after the start)."""
    buyer = MarketplaceUserFactory()
    start = utcnow() - started_ago
    thread.setdefault(
        "last_message_at", start + max((offset for _, offset in messages), default=timedelta(0))
    )
    conversation = MessageThreadFactory(
        listing=ServiceListingFactory(provider_user=provider), buyer_user=buyer, **thread
    )
    for sender, offset in messages:
        fields = {}
        if sender == "deal":
            fields["marketplace_transaction_id"] = MarketplaceTransactionFactory(
                provider_tenant_id=provider.tenant_id, provider_user_id=provider.id
            ).id
        MessageFactory(
            thread=conversation,
            sender=buyer if sender == "buyer" else provider,
            created_at=start + offset,
            **fields,
        )
    return conversation


MINUTE, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)


def _planted(provider) -> None:
    """Seven conversations that count (four answered within 24 h), and three that do not."""
    _conversation(provider, 10 * DAY, [("buyer", 0 * MINUTE), ("seller", 30 * MINUTE)])  # 30 min
    _conversation(provider, 5 * DAY, [("buyer", 0 * MINUTE), ("buyer", MINUTE), ("seller", 2 * HOUR)])  # 2 h
    _conversation(provider, 3 * DAY, [("buyer", 0 * MINUTE), ("seller", 30 * HOUR)])  # late: 30 h
    _conversation(provider, 2 * DAY, [("buyer", 0 * MINUTE)])  # never answered
    _conversation(provider, HOUR, [("buyer", 0 * MINUTE), ("seller", 10 * MINUTE)])  # young, answered: 10 min
    # The seller wrote first; the reply is the first message after the buyer's first one: 20 min.
    _conversation(
        provider, 4 * DAY, [("seller", 0 * MINUTE), ("buyer", HOUR), ("seller", HOUR + 20 * MINUTE)]
    )
    # A deal card is not a reply.
    _conversation(provider, 3 * DAY, [("buyer", 0 * MINUTE), ("deal", HOUR)])
    # Not counted: too young to tell, older than the window, and a conversation where the provider is the buyer.
    _conversation(provider, 2 * HOUR, [("buyer", 0 * MINUTE)])
    _conversation(
        provider, 100 * DAY, [("buyer", 0 * MINUTE), ("seller", 5 * DAY)], last_message_at=utcnow() - DAY
    )
    other_seller = MarketplaceUserFactory(user_type="service_provider")
    elsewhere = MessageThreadFactory(
        listing=ServiceListingFactory(provider_user=other_seller),
        buyer_user=provider,
        last_message_at=utcnow(),
    )
    MessageFactory(thread=elsewhere, sender=provider, created_at=utcnow() - 3 * DAY)


def test_reply_rate_and_time_are_computed_from_the_message_timestamps(client, provider):
    _planted(provider)

    figures = refresh_response_stats(provider.id)

    assert (figures.response_threads, figures.response_threads_answered) == (7, 4)
    # Delays: 10 min, 20 min, 30 min, 2 h, 30 h (the two unanswered have none): the median is 30 minutes.
    assert figures.response_median_seconds == 30 * 60
    html = _html(client, provider.id)
    assert "57%" in html and "(4 of 7 conversations answered within 24 hours, last 90 days)" in html
    assert "Typically replies within an hour" in html


def test_an_even_number_of_replies_takes_the_middle_two(provider):
    _conversation(provider, 3 * DAY, [("buyer", 0 * MINUTE), ("seller", HOUR)])
    _conversation(provider, 3 * DAY, [("buyer", 0 * MINUTE), ("seller", 3 * HOUR)])

    assert refresh_response_stats(provider.id).response_median_seconds == 2 * 3600


def test_no_conversations_says_so(client, provider):
    assert "No conversations in the last 90 days yet" in _html(client, provider.id)


def test_figures_are_reused_until_they_are_older_than_the_ttl(app, client, provider):
    _conversation(provider, 3 * DAY, [("buyer", 0 * MINUTE), ("seller", 10 * MINUTE)])
    assert "100%" in _html(client, provider.id)

    _conversation(provider, 2 * DAY, [("buyer", 0 * MINUTE)])  # a new unanswered conversation
    assert "100%" in _html(client, provider.id)  # cached

    db.session.execute(
        update(ProviderStats)
        .where(ProviderStats.provider_user_id == provider.id)
        .values(
            response_computed_at=utcnow() - timedelta(seconds=app.config["PROVIDER_STATS_TTL_SECONDS"] + 1)
        )
    )
    db.session.commit()
    assert "50%" in _html(client, provider.id)  # recomputed


def test_the_refresh_keeps_the_rating_counters(provider):
    _review(provider, 3)
    refresh_response_stats(provider.id)
    stats = db.session.get(ProviderStats, provider.id)
    db.session.refresh(stats)
    assert (stats.review_count, stats.rating_sum, stats.response_threads) == (1, 3, 0)


# --- a fixed number of statements ------------------------------------------------------------------------------


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed in"])
def test_the_page_runs_the_same_statements_whatever_the_providers_size(client, login_as, provider, signed_in):
    if signed_in:
        login_as(MarketplaceUserFactory())
    ServiceListingFactory(provider_user=provider)
    _review(provider, 5)
    _conversation(provider, 2 * DAY, [("buyer", 0 * MINUTE), ("seller", HOUR)])
    provider_id = provider.id
    with count_queries() as stale_small:
        _html(client, provider_id)
    with count_queries() as fresh_small:
        _html(client, provider_id)

    ServiceListingFactory.create_batch(30, provider_user=provider)
    for _ in range(15):
        _review(provider, 4)
    for _ in range(5):
        _conversation(provider, 2 * DAY, [("buyer", 0 * MINUTE), ("seller", HOUR)])
    db.session.execute(update(ProviderStats).values(response_computed_at=None))
    db.session.commit()
    with count_queries() as stale_large:
        _html(client, provider_id)
    with count_queries() as fresh_large:
        _html(client, provider_id)

    # The profile with its figures, (when stale) the refresh, the listings, a page of reviews; signed in, also the
    # user with their linked breeders, and the navigation's unread badge (no breeder links them: no invoice count).
    extra = 2 if signed_in else 0
    assert len(fresh_small) == len(fresh_large) == 3 + extra, fresh_large
    assert len(stale_small) == len(stale_large) == 4 + extra, stale_large
