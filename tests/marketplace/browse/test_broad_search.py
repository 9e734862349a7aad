"""Broad keywords at scale (marketplace.browse.broad): when a keyword matches a large share of the newest listings,
relevance ranks its newest matches, found by walking the newest-first index, and the counts are "about N".
The limits are lowered so a few dozen listings cross them, and the count sample reads the whole table (100%), so
its estimates are exact and the assertions stable."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from models.types import utcnow
from tests.factories import MarketplaceUserFactory, ServiceListingFactory
from tests.marketplace.browse.results_pages import follow_next, links
from tests.marketplace.browse.results_pages import get_page as _get
from tests.marketplace.browse.results_pages import summary as _summary
from tests.query_count import count_queries

ITEM_RE = re.compile(r"Broadword (?:strong|plain|old) \d\d")
NEWEST_NOTE = "the best of the newest 25 are shown"

CANDIDATES = 25
WALK_ROWS = 40
PROBE_ROWS = 8  # 25 candidates within 40 rows: at least 5 of the newest 8 must match


@pytest.fixture
def broad_limits(app, monkeypatch):
    monkeypatch.setitem(app.config, "LISTING_EXACT_COUNT_LIMIT", 30)
    monkeypatch.setitem(app.config, "LISTING_COUNT_SAMPLE_PERCENT", 100.0)
    monkeypatch.setitem(app.config, "LISTING_BROAD_SEARCH_CANDIDATES", CANDIDATES)
    monkeypatch.setitem(app.config, "LISTING_BROAD_SEARCH_WALK_ROWS", WALK_ROWS)
    monkeypatch.setitem(app.config, "LISTING_BROAD_SEARCH_PROBE_ROWS", PROBE_ROWS)


def _listing(title: str, days_old: float, **fields) -> None:
    ServiceListingFactory(title=title, published_at=utcnow() - timedelta(days=days_old), **fields)


def _old_strong_and_new_plain(old: int = 10, new: int = 40) -> None:
    """`old` listings that say the keyword three times, a year old, and `new` recent ones that say it once."""
    for number in range(old):
        _listing(f"Broadword old {number:02d}", 365 + number, description="broadword broadword broadword")
    for number in range(new):
        _listing(
            f"Broadword plain {number:02d}", number / 24, category="grooming" if number % 2 else "training"
        )


def test_a_broad_keyword_ranks_its_newest_matches_and_says_so(client, broad_limits):
    _old_strong_and_new_plain()
    _listing("Broadword strong 00", 0.01, description="broadword broadword broadword broadword")
    page = _get(client, "/listings?q=broadword")
    assert NEWEST_NOTE in page
    titles = ITEM_RE.findall(page)
    assert titles[0] == "Broadword strong 00"  # the best of the newest matches comes first
    assert not [title for title in titles if "old" in title]  # a year-old match is not among the newest 25
    assert _summary(page).startswith("Showing 1–20 of about 51 listings")


def test_pages_of_a_broad_keyword_walk_its_candidates_once_forwards_and_back(client, broad_limits):
    _old_strong_and_new_plain()
    seen, last = follow_next(client, "/listings?q=broadword", ITEM_RE)
    flat = [title for titles in seen for title in titles]
    assert [len(titles) for titles in seen] == [20, 5]
    assert len(set(flat)) == CANDIDATES
    assert set(flat) == {f"Broadword plain {number:02d}" for number in range(CANDIDATES)}  # the 25 newest
    assert ITEM_RE.findall(_get(client, links(last)["prev"])) == seen[0]


def test_the_category_chips_count_and_filter_the_broad_keyword(client, broad_limits):
    _old_strong_and_new_plain()
    page = _get(client, "/listings?q=broadword")
    assert "All (about 50)" in page
    assert "Training (about 20)" in page and "Grooming (about 30)" in page  # the 10 old ones are grooming
    training = _get(client, "/listings?q=broadword&category=training")
    titles = ITEM_RE.findall(training)
    assert titles and all(int(title[-2:]) % 2 == 0 for title in titles)  # the training ones only
    assert "about 20 listings" in _summary(training)


def test_a_keyword_the_newest_listings_rarely_say_is_ranked_from_every_match(client, broad_limits):
    for number in range(12):
        _listing(f"Broadword old {number:02d}", 365 + number, description="broadword broadword")
    for number in range(40):
        _listing(f"Other listing {number:02d}", number / 24)
    page = _get(client, "/listings?q=broadword")
    assert "found are shown" not in page and "newest" not in page.split("results-summary")[1][:400]
    assert _summary(page).startswith("Showing 1–12 of 12 listings")  # exact: no estimate
    assert len(ITEM_RE.findall(page)) == 12


def test_a_filter_the_newest_matches_rarely_meet_still_finds_the_older_ones(client, broad_limits):
    _old_strong_and_new_plain()  # every listing in TX
    for number in range(6):
        _listing(f"Broadword old {50 + number:02d}", 400 + number, state="VT")
    page = _get(client, "/listings?q=broadword&state=VT")
    assert sorted(ITEM_RE.findall(page)) == [f"Broadword old {50 + number:02d}" for number in range(6)]
    assert _summary(page).startswith("Showing 1–6 of 6 listings")
    assert NEWEST_NOTE not in page


def test_a_suspended_providers_listings_are_not_among_the_candidates(client, broad_limits):
    _old_strong_and_new_plain()
    suspended = MarketplaceUserFactory(user_type="service_provider", status="suspended")
    for number in range(3):  # the newest, and the best matches
        _listing(
            f"Broadword strong {number:02d}", 0.001, description="broadword " * 5, provider_user=suspended
        )
    page = _get(client, "/listings?q=broadword")
    assert NEWEST_NOTE in page
    assert "Broadword strong" not in page
    assert _summary(page).startswith("Showing 1–20 of about 50 listings")


def test_a_second_visit_with_the_counts_cached_shows_the_same_page(client, broad_limits):
    _old_strong_and_new_plain()
    first = _get(client, "/listings?q=broadword")
    with count_queries() as statements:
        again = _get(client, "/listings?q=broadword")
    assert ITEM_RE.findall(again) == ITEM_RE.findall(first)
    assert NEWEST_NOTE in again and _summary(again) == _summary(first)
    assert len([s for s in statements if "ServiceListing" in s]) == 1


def test_newest_first_with_a_broad_keyword_still_reaches_every_match(client, broad_limits):
    _old_strong_and_new_plain()
    pages, last = follow_next(client, "/listings?q=broadword&sort=newest", ITEM_RE)
    seen = [title for titles in pages for title in titles]
    assert len(seen) == len(set(seen)) == 50
    assert seen[-1] == "Broadword old 09"
    assert "of about 50 listings" in _summary(last)


@pytest.mark.parametrize(
    "q",
    ["broadword & !x:* | ((", "broadword <-> <2> x", "'broadword' :* \\ ''", '"broadword x', "broadword -"],
)
def test_hostile_queries_on_the_broad_path_answer_normally(client, broad_limits, q):
    _old_strong_and_new_plain(old=0, new=30)
    response = client.get("/listings", query_string={"q": q})
    assert response.status_code == 200
    assert "Traceback" not in response.get_data(as_text=True)
