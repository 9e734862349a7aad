"""Broad searches at scale: exact counts up to a limit, "about N" past it, and a relevance ranking of the first
matches found only, whose pages still show each listing once. The limits are lowered so a few listings cross them;
the sample reads the whole table (100%), so its estimates are exact and the assertions stable."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from marketplace.browse.facets import round_estimate
from models.types import utcnow
from tests.factories import MarketplaceUserFactory, ServiceListingFactory
from tests.marketplace.browse.results_pages import follow_next, links
from tests.marketplace.browse.results_pages import get_page as _get
from tests.marketplace.browse.results_pages import summary as _summary

TITLE_RE = re.compile(r"Scaletest item \d\d")


@pytest.fixture
def small_limits(app, monkeypatch):
    monkeypatch.setitem(app.config, "LISTING_EXACT_COUNT_LIMIT", 25)
    monkeypatch.setitem(app.config, "LISTING_COUNT_SAMPLE_PERCENT", 100.0)


def _items(count: int, **fields) -> None:
    """`count` listings, item 00 the oldest, one day apart."""
    now = utcnow()
    for number in range(count):
        ServiceListingFactory(
            title=f"Scaletest item {number:02d}",
            category="grooming" if number % 3 else "training",
            published_at=now - timedelta(days=count - number),
            **fields,
        )


def test_few_matches_are_counted_exactly(client, small_limits):
    _items(7)
    page = _get(client, "/listings?q=scaletest")
    assert _summary(page).startswith("Showing 1–7 of 7 listings")
    assert "about" not in _summary(page)
    assert "Grooming (4)" in page and "Training (3)" in page
    assert "found are shown" not in page


def test_many_matches_are_about_n_everywhere_they_are_counted(client, small_limits):
    _items(45)
    ServiceListingFactory(title="Unrelated listing")
    page = _get(client, "/listings?q=scaletest")
    assert _summary(page).startswith("Showing 1–20 of about 45 listings")
    assert "All (about 45)" in page
    assert "Grooming (about 30)" in page and "Training (about 15)" in page
    in_category = _get(client, "/listings?q=scaletest&category=training")
    assert "about 15 listings" in _summary(in_category)


def test_estimates_leave_out_providers_not_in_good_standing(client, small_limits):
    _items(30)
    _items(12, provider_user=MarketplaceUserFactory(user_type="service_provider", status="suspended"))
    assert "of about 30 listings" in _summary(_get(client, "/listings?q=scaletest"))


def test_browsing_without_a_keyword_is_estimated_too(client, small_limits):
    _items(30)
    page = _get(client, "/listings?sort=newest")
    assert "of about 30 listings" in _summary(page)
    assert "Scaletest item 29" in page  # newest first, every listing reachable


def test_relevance_ranks_the_first_matches_found_best_first_and_says_so(client, small_limits):
    for number in range(30):
        ServiceListingFactory(title=f"Scaletest scaletest strong {number:02d}")
        ServiceListingFactory(title=f"Scaletest weak {number:02d}")
    page = _get(client, "/listings?q=scaletest")
    assert "the best of the first 25 found are shown" in page
    strong = [match.start() for match in re.finditer("Scaletest scaletest strong", page)]
    weak = [match.start() for match in re.finditer("Scaletest weak", page)]
    assert strong and max(strong) < min(weak or [len(page)])


def test_relevance_pages_walk_the_candidates_once_forwards_and_back(client, small_limits):
    _items(45)
    seen, last = follow_next(client, "/listings?q=scaletest", TITLE_RE)
    flat = [title for titles in seen for title in titles]
    assert [len(titles) for titles in seen] == [20, 5]
    assert len(set(flat)) == 25  # each candidate once, whatever the ties in rank
    assert TITLE_RE.findall(_get(client, links(last)["prev"])) == seen[0]


def test_other_sorts_still_reach_every_match_past_the_limit(client, small_limits):
    _items(45)
    pages, last = follow_next(client, "/listings?q=scaletest&sort=newest", TITLE_RE)
    seen = [title for titles in pages for title in titles]
    assert len(seen) == len(set(seen)) == 45
    assert "found are shown" not in last


@pytest.mark.parametrize(
    "q",
    [
        "scaletest & !item:* | ((",
        "scaletest <-> <2> item",
        "'scaletest' :* \\ ''",
        '"scaletest item',
        "-scaletest or",
        "scaletest " * 400,
        "x" * 5000,
    ],
)
def test_hostile_queries_on_the_estimated_path_answer_normally(client, small_limits, q):
    _items(30)
    response = client.get("/listings", query_string={"q": q})
    assert response.status_code == 200
    assert "Traceback" not in response.get_data(as_text=True)


def test_a_sample_that_sees_nothing_still_says_more_than_the_limit(client, small_limits, app, monkeypatch):
    monkeypatch.setitem(app.config, "LISTING_COUNT_SAMPLE_PERCENT", 0.0001)
    _items(30)
    summary = _summary(_get(client, "/listings?q=scaletest"))
    assert "about" in summary
    assert int(re.search(r"about (\d+)", summary).group(1)) >= 26


@pytest.mark.parametrize(
    ("count", "shown"), [(7, 7), (99, 99), (100, 100), (1_351, 1_400), (78_412, 78_000), (0.4, 1)]
)
def test_estimates_are_rounded_to_two_significant_figures(count, shown):
    assert round_estimate(count) == shown
