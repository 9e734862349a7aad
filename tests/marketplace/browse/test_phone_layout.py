"""Browse on a phone puts results first: the filters sit behind a "Filters (n)" <details> (no JavaScript needed),
and the pager's links land on the results, not the top of the page."""

from __future__ import annotations

import re

from tests.factories import ServiceListingFactory


def _page(client, query: str = "") -> str:
    response = client.get(f"/listings{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_filters_are_folded_in_a_details_that_counts_the_active_ones(client):
    ServiceListingFactory()
    html = _page(client)
    assert re.search(r'<details class="browse-filters">\s*<summary>Filters</summary>', html)
    assert html.index('id="q"') < html.index("<details")  # the search box stays outside, always visible
    assert html.index("<details") < html.index('id="category"') < html.index("</details>")

    filtered = _page(client, "?category=grooming&state=TX&min_price=10")
    assert "<summary>Filters (3)</summary>" in filtered


def test_a_location_error_opens_the_filters_so_the_message_is_seen(client):
    response = client.get("/listings?near=00000")
    assert response.status_code == 422
    assert '<details class="browse-filters" open>' in response.get_data(as_text=True)


def test_the_pager_lands_on_the_results(client):
    ServiceListingFactory.create_batch(25)
    html = _page(client)
    next_link = re.search(r'<a href="([^"]+)" rel="next">', html).group(1)
    assert next_link.endswith("#results")
    second = _page(client, next_link.split("/listings", 1)[1].split("#")[0])
    assert re.search(r'<a href="[^"]+#results" rel="prev">', second)
