"""Where am I in the results: "Showing 21–40 of 45 listings", carried from page to page by the cursor, with the
exact total the category counts already give."""

from __future__ import annotations

import base64
import html as html_module
import json

import pytest

from tests.factories import ServiceListingFactory
from tests.marketplace.browse.results_pages import get_page as _get
from tests.marketplace.browse.results_pages import links as _links
from tests.marketplace.browse.results_pages import summary as _summary


@pytest.mark.parametrize("sort", ["newest", "price_asc", "relevance"])
def test_each_page_says_which_rows_it_shows_of_how_many(client, sort):
    for number in range(45):
        ServiceListingFactory(title=f"Rangetest item {number:02d}", price_cents=1000 + (number % 7) * 100)
    ServiceListingFactory(title="Unrelated listing")

    first = _get(client, f"/listings?q=rangetest&sort={sort}")
    second = _get(client, _links(first)["next"])
    third = _get(client, _links(second)["next"])
    back = _get(client, _links(third)["prev"])
    start = _get(client, _links(back)["prev"])

    assert _summary(first) == "Showing 1–20 of 45 listings for “rangetest”"
    assert _summary(second) == "Showing 21–40 of 45 listings for “rangetest”"
    assert _summary(third) == "Showing 41–45 of 45 listings for “rangetest”"
    assert _summary(back) == "Showing 21–40 of 45 listings for “rangetest”"
    assert _summary(start) == "Showing 1–20 of 45 listings for “rangetest”"


def test_the_total_is_the_categorys_when_one_is_chosen(client):
    for number in range(23):
        ServiceListingFactory(title=f"Groom {number}", category="grooming")
    for number in range(4):
        ServiceListingFactory(title=f"Train {number}", category="training")

    everything = _get(client, "/listings")
    grooming = _get(client, "/listings?category=grooming")
    second = _get(client, _links(grooming)["next"])

    assert _summary(everything) == "Showing 1–20 of 27 listings"
    assert _summary(grooming) == "Showing 1–20 of 23 listings in Grooming"
    assert _summary(second) == "Showing 21–23 of 23 listings in Grooming"


def test_an_htmx_page_says_it_too(client):
    for number in range(25):
        ServiceListingFactory(title=f"Htmxrange {number}")
    first = _get(client, "/listings?q=htmxrange")

    response = client.get(html_module.unescape(_links(first)["next"]), headers={"HX-Request": "true"})

    assert _summary(response.get_data(as_text=True)) == "Showing 21–25 of 25 listings for “htmxrange”"


def _cursor(*fields: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(fields)).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "position",
    [None, 0, -5, True, "21", 10**12, 500],  # an older link without one, forged ones, and one past the total
)
def test_a_cursor_without_a_believable_position_pages_but_gives_no_range(client, position):
    listings = [ServiceListingFactory(title=f"Forgedrange {number}") for number in range(25)]
    newest_first = sorted(
        listings, key=lambda listing: (listing.published_at or listing.created_at, listing.id)
    )
    anchor = newest_first[-5]
    key = (anchor.published_at or anchor.created_at).isoformat(sep=" ")
    fields = ["newest", key, anchor.id] + ([] if position is None else [position])

    page = _get(client, f"/listings?after={_cursor(*fields)}")

    assert "Forgedrange" in page
    assert _summary(page) == "25 listings"


def test_no_results_say_so_without_a_range(client):
    assert _summary(_get(client, "/listings?q=nothingmatchesthis")) == "0 listings for “nothingmatchesthis”"
