"""The public listing browser: search, ranking, filters, visibility, bad input, htmx, query count."""

from __future__ import annotations

import base64
import json

import pytest

from tests.factories import MarketplaceUserFactory, ServiceListingFactory
from tests.query_count import count_queries


def _page(client, query: str = "", **headers) -> str:
    response = client.get(f"/listings{query}", headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _position(html: str, title: str) -> int:
    assert title in html, f"{title!r} not in results"
    return html.index(title)


def test_title_match_ranks_above_description_only_match(client):
    ServiceListingFactory(title="Weekend kennel help", description="Includes a weimaraner walk.")
    ServiceListingFactory(title="Weimaraner field training", description="Pointing and retrieving.")
    html = _page(client, "?q=weimaraner")
    assert _position(html, "Weimaraner field training") < _position(html, "Weekend kennel help")


def test_tag_match_ranks_above_description_only_match(client):
    ServiceListingFactory(title="General care A", description="We love a vizsla.", tags=["care"])
    ServiceListingFactory(title="General care B", description="Anything.", tags=["vizsla"])
    html = _page(client, "?q=vizsla")
    assert _position(html, "General care B") < _position(html, "General care A")


def test_last_word_matches_as_a_prefix_while_typing(client):
    ServiceListingFactory(title="Schnauzer hand stripping")
    assert "Schnauzer hand stripping" in _page(client, "?q=schnau")
    assert "Schnauzer hand stripping" in _page(client, "?q=hand+stri")


def test_websearch_syntax_phrases_or_and_exclusion(client):
    ServiceListingFactory(title="Show handling for poodles")
    ServiceListingFactory(title="Handling show dogs at home")
    ServiceListingFactory(title="Basset grooming")
    phrase = _page(client, '?q="show handling"')
    assert "Show handling for poodles" in phrase and "Handling show dogs at home" not in phrase
    either = _page(client, "?q=poodles or basset ")
    assert "Show handling for poodles" in either and "Basset grooming" in either
    excluded = _page(client, "?q=handling -poodles")
    assert "Handling show dogs at home" in excluded and "Show handling for poodles" not in excluded


@pytest.mark.parametrize(
    "q",
    [
        "'",
        '"',
        "\\",
        "a & b | !c",
        "(((",
        "foo:*",
        "<->",
        "-",
        "or",
        '\'; DROP TABLE "ServiceListing"; --',
        "%_",
        "x" * 5000,
        "\u0000",
        "🐕 ünïcödé",
        ":* & | ! ( )",
    ],
)
def test_special_characters_in_the_query_are_harmless(client, q):
    ServiceListingFactory(title="Still here")
    response = client.get("/listings", query_string={"q": q})
    assert response.status_code == (400 if "\x00" in q else 200)  # NUL is refused app-wide (test_security)
    assert "Still here" in _page(client)


def test_very_long_query_is_shortened_and_says_so(client):
    html = _page(client, "?q=" + "grooming+" * 100)
    assert "shortened" in html


def test_filters_combine(client):
    ServiceListingFactory(
        title="Match all", category="training", state="OR", price_cents=5000, price_type="hourly"
    )
    ServiceListingFactory(
        title="Wrong state", category="training", state="WA", price_cents=5000, price_type="hourly"
    )
    ServiceListingFactory(
        title="Wrong category", category="grooming", state="OR", price_cents=5000, price_type="hourly"
    )
    ServiceListingFactory(
        title="Too dear", category="training", state="OR", price_cents=90000, price_type="hourly"
    )
    ServiceListingFactory(
        title="Wrong type", category="training", state="OR", price_cents=5000, price_type="fixed"
    )
    html = _page(client, "?category=training&state=OR&min_price=10&max_price=100.50&price_type=hourly")
    assert "Match all" in html
    for title in ("Wrong state", "Wrong category", "Too dear", "Wrong type"):
        assert title not in html


def test_category_counts_follow_the_query(client):
    ServiceListingFactory.create_batch(2, title="Borzoi coursing practice", category="training")
    ServiceListingFactory(title="Borzoi bath", category="grooming")
    ServiceListingFactory(title="Unrelated grooming", category="grooming")
    html = _page(client, "?q=borzoi")
    assert "Training (2)" in html and "Grooming (1)" in html


@pytest.mark.parametrize(
    "query",
    [
        "?category=nope&state=ZZ&price_type=free&sort=sideways",
        "?min_price=abc&max_price=1e999",
        "?min_price=-5&max_price=99999999999999999999999",
        "?min_price=1e999999999&max_price=9E%2B999999",  # exponents beyond what Decimal can scale
        "?page=99999999999999999999&after=garbage&before=%FF",
        "?sort=relevance",
        "?after=WyJuZXdlc3QiLCJub3QgYSBkYXRlIiwxXQ",
    ],
)
def test_bad_filter_values_never_fail(client, query):
    ServiceListingFactory(title="Always visible")
    assert "Always visible" in _page(client, query)


def test_min_above_max_is_swapped_and_the_form_shows_it(client):
    ServiceListingFactory(title="Forty dollars", price_cents=4000)
    html = _page(client, "?min_price=100&max_price=20")
    assert "Forty dollars" in html
    assert "swapped" in html
    assert 'name="min_price" value="20"' in html and 'name="max_price" value="100"' in html


def test_unknown_category_is_ignored_and_explained(client):
    html = _page(client, "?category=unicorns")
    assert "does not exist" in html


@pytest.mark.parametrize("listing_status", ["draft", "inactive", "suspended"])
def test_non_active_listings_are_never_public(client, listing_status):
    hidden = ServiceListingFactory(title="Hidden listing zebra", status=listing_status)
    assert "Hidden listing zebra" not in _page(client)
    assert "Hidden listing zebra" not in _page(client, "?q=zebra")
    assert client.get(f"/listings/{hidden.id}").status_code == 404


@pytest.mark.parametrize("user_status", ["suspended", "banned"])
def test_listings_of_suspended_or_banned_providers_are_never_public(client, user_status):
    provider = MarketplaceUserFactory(user_type="service_provider", status=user_status)
    hidden = ServiceListingFactory(title="Blocked provider okapi", provider_user=provider)
    assert "Blocked provider okapi" not in _page(client, "?q=okapi")
    assert "Blocked provider okapi" not in _page(client)
    assert client.get(f"/listings/{hidden.id}").status_code == 404


def test_sorting_by_price_both_ways_puts_quotes_last(client):
    ServiceListingFactory(title="Cheap one", price_cents=1000)
    ServiceListingFactory(title="Dear one", price_cents=90000)
    ServiceListingFactory(title="Quote one", price_cents=None, price_type="quote")
    low = _page(client, "?sort=price_asc")
    assert _position(low, "Cheap one") < _position(low, "Dear one") < _position(low, "Quote one")
    high = _page(client, "?sort=price_desc")
    assert _position(high, "Dear one") < _position(high, "Cheap one") < _position(high, "Quote one")


@pytest.mark.parametrize("sort", ["newest", "price_asc", "price_desc", "relevance"])
def test_keyset_pages_walk_every_listing_once_forwards_and_back(client, sort):
    import re

    for number in range(45):
        ServiceListingFactory(title=f"Pagetest item {number:02d}", price_cents=1000 + (number % 7) * 100)
    query = f"?q=pagetest&sort={sort}"
    seen: list[list[str]] = []
    link_re = re.compile(r'href="(/listings\?[^"]*)" rel="(next|prev)"')
    url = f"/listings{query}"
    for _ in range(5):
        html = _page(client, url.removeprefix("/listings").replace("&amp;", "&"))
        seen.append(re.findall(r"Pagetest item \d\d", html))
        links = dict((rel, href) for href, rel in link_re.findall(html))
        if "next" not in links:
            break
        url = links["next"].replace("&amp;", "&")
    flat = [title for page in seen for title in page]
    assert [len(page) for page in seen] == [20, 20, 5]
    assert sorted(flat) == sorted(set(flat)) and len(flat) == 45
    back = _page(client, links["prev"].replace("&amp;", "&").removeprefix("/listings"))
    assert re.findall(r"Pagetest item \d\d", back) == seen[1]


def test_htmx_request_gets_only_the_results_block(client):
    ServiceListingFactory(title="Partial only")
    html = _page(client, "?q=partial", **{"HX-Request": "true"})
    assert "Partial only" in html
    assert "<html" not in html and 'name="q"' not in html


def test_htmx_history_restore_gets_the_full_page(client):
    html = _page(client, "?q=x", **{"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in html


def test_search_box_updates_results_while_typing_and_pushes_the_url(client):
    html = _page(client)
    assert 'hx-trigger="input changed delay:300ms, search"' in html
    assert 'hx-push-url="true"' in html
    assert 'action="/listings"' in html and 'method="get"' in html  # works with JavaScript off


def test_listing_html_is_escaped(client):
    ServiceListingFactory(title="<script>alert(1)</script>", description="<img src=x onerror=alert(2)>")
    html = _page(client)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("listings", [3, 45])
def test_browse_page_runs_at_most_four_queries_whatever_the_page_size(client, login_as, listings):
    ServiceListingFactory.create_batch(listings, title="Counted listing")
    login_as(MarketplaceUserFactory())
    with count_queries() as statements:
        _page(client, "?q=counted&category=grooming&state=TX&min_price=1&max_price=500")
    assert len(statements) <= 4, statements


def test_default_sort_is_relevance_with_a_query_and_newest_without(client):
    from datetime import timedelta

    from models.types import utcnow

    ServiceListingFactory(title="Old narwhal narwhal trainer", published_at=utcnow() - timedelta(days=30))
    ServiceListingFactory(title="New listing", description="mentions a narwhal once", published_at=utcnow())
    searched = _page(client, "?q=narwhal&sort=")
    assert _position(searched, "Old narwhal narwhal trainer") < _position(searched, "New listing")
    browsing = _page(client, "?sort=")
    assert _position(browsing, "New listing") < _position(browsing, "Old narwhal narwhal trainer")


def _cursor(sort: str, key: object, listing_id: object) -> str:
    raw = json.dumps([sort, key, listing_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    ("query", "sort", "key", "listing_id"),
    [
        ("q=visible&", "relevance", "1e39", 1),  # finite in Python, beyond PostgreSQL's REAL
        ("q=visible&", "relevance", "1e-50", 1),  # underflows REAL
        ("sort=price_asc&", "price_asc", "1_000", 1),  # Python's int() takes underscores
        ("sort=price_asc&", "price_asc", "١٢", 1),  # and other scripts' digits
        ("", "newest", "2024-W01-1", 1),  # an ISO week date: Python parses it, PostgreSQL does not
        ("", "newest", "2024-01-01", 10**23),  # an id beyond BIGINT
        ("", "newest", "2024-01-01", 2**31),  # an id beyond INTEGER
    ],
)
def test_forged_cursors_the_database_cannot_read_are_ignored(client, query, sort, key, listing_id):
    ServiceListingFactory(title="Always visible")
    html = _page(client, f"?{query}after={_cursor(sort, key, listing_id)}")
    assert "Always visible" in html


def test_a_category_name_finds_every_listing_in_it_below_title_matches(client):
    """The word "grooming" found 3 listings while the Grooming category held 6: category names are searched too."""
    ServiceListingFactory(
        title="Coat care at home", description="Bath and trim.", category="grooming", tags=[]
    )
    ServiceListingFactory(
        title="Mobile van visits", description="We come to you.", category="grooming", tags=[]
    )
    ServiceListingFactory(
        title="Grooming tips class", description="Learn at home.", category="training", tags=[]
    )
    ServiceListingFactory(
        title="Herding lessons", description="Sheep and ducks.", category="training", tags=[]
    )
    html = _page(client, "?q=grooming")
    for title in ("Coat care at home", "Mobile van visits", "Grooming tips class"):
        assert title in html
    assert "Herding lessons" not in html
    assert _position(html, "Grooming tips class") < _position(html, "Coat care at home")
    assert "Herding lessons" in _page(client, "?q=training")
    assert "Coat care at home" not in _page(client, "?q=training")
