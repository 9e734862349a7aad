"""Category counts of the listing browser: exact for the visitor's filters, fresh after every change, computed
once per set of filters (not once per page), and still right when the cache is shared or unreachable."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
import redis
from sqlalchemy import update

from app.extensions import db
from marketplace.browse.facet_cache import EXTENSION, LocalCountsCache, RedisCountsCache
from models import ServiceListing
from tests.factories import MarketplaceUserFactory, ServiceListingFactory
from tests.query_count import count_queries

COUNT_RE = re.compile(r'<a href="[^"]*"(?: aria-current="page")?>([^<(]+) \(([\d,]+)\)</a>')


def counts_on(client, query: str = "") -> dict[str, int]:
    """The category links of the browse page, e.g. {"All": 3, "Grooming": 2, "Training": 1}."""
    response = client.get(f"/listings{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return {label.strip(): int(count.replace(",", "")) for label, count in COUNT_RE.findall(html)}


@pytest.fixture
def seller(login_as):
    user = MarketplaceUserFactory(user_type="service_provider")
    login_as(user)
    return user


def test_counts_leave_out_every_listing_the_public_cannot_see(client):
    ServiceListingFactory.create_batch(2, category="grooming")
    ServiceListingFactory(category="training")
    ServiceListingFactory(category="training", provider_user=MarketplaceUserFactory(status=None))
    for status in ("draft", "inactive", "suspended"):
        ServiceListingFactory(category="boarding", status=status)
    for provider_status in ("suspended", "banned"):
        blocked = MarketplaceUserFactory(user_type="service_provider", status=provider_status)
        ServiceListingFactory.create_batch(2, category="grooming", provider_user=blocked)
        ServiceListingFactory(category="photography", provider_user=blocked)
    assert counts_on(client) == {"All": 4, "Grooming": 2, "Training": 2}


@pytest.mark.parametrize(
    "query",
    [
        "?state=OR",
        "?state=OR&price_type=hourly",
        "?min_price=40&max_price=60",
        "?state=OR&price_type=hourly&min_price=40&max_price=60",
        "?q=whippet",
        "?q=whippet&state=OR&price_type=hourly&min_price=40&max_price=60&category=training",
    ],
)
def test_filtered_counts_leave_out_providers_not_in_good_standing(client, query):
    listing = {"title": "Whippet lure coursing", "state": "OR", "price_type": "hourly", "price_cents": 5000}
    ServiceListingFactory.create_batch(3, category="training", **listing)
    ServiceListingFactory(category="grooming", **listing)
    suspended = MarketplaceUserFactory(user_type="service_provider", status="suspended")
    ServiceListingFactory.create_batch(2, category="training", provider_user=suspended, **listing)
    ServiceListingFactory(category="handling", provider_user=suspended, **listing)
    ServiceListingFactory(
        category="training",
        **{**listing, "title": "Greyhound lure coursing", "state": "WA", "price_cents": 90000},
    )
    assert counts_on(client, query) == {"All": 4, "Training": 3, "Grooming": 1}


def test_counts_include_a_listing_as_soon_as_it_is_published_and_drop_it_when_unpublished(
    client, csrf, seller
):
    ServiceListingFactory(category="training")
    draft = ServiceListingFactory(
        provider_user=seller, category="training", status="draft", published_at=None
    )
    assert counts_on(client)["Training"] == 1
    client.post(f"/dashboard/listings/{draft.id}/publish", data={"csrf_token": csrf()})
    assert counts_on(client)["Training"] == 2
    client.post(f"/dashboard/listings/{draft.id}/unpublish", data={"csrf_token": csrf()})
    assert counts_on(client)["Training"] == 1


def test_counts_follow_an_edit_that_moves_a_listing_to_another_category(client, csrf, seller):
    mine = ServiceListingFactory(provider_user=seller, category="grooming", title="Hand stripping terriers")
    assert counts_on(client, "?q=terriers") == {"All": 1, "Grooming": 1}
    form = {
        "title": "Hand stripping terriers",
        "description": "Coat care for wire-haired breeds.",
        "category": "handling",
        "price_type": "fixed",
        "price": "50",
        "city": "Austin",
        "state": "TX",
        "zip_code": "78701",
        "service_area_miles": "25",
        "tags": "terrier",
        "images": "",
    }
    response = client.post(f"/dashboard/listings/{mine.id}/edit", data={"csrf_token": csrf(), **form})
    assert response.status_code == 302
    assert counts_on(client, "?q=terriers") == {"All": 1, "Show handling": 1}


def test_counts_drop_a_providers_listings_once_the_provider_is_suspended(client):
    provider = MarketplaceUserFactory(user_type="service_provider")
    ServiceListingFactory.create_batch(2, category="transport", provider_user=provider)
    ServiceListingFactory(category="transport")
    assert counts_on(client)["Transport"] == 3
    provider.status = "suspended"
    db.session.flush()
    assert counts_on(client)["Transport"] == 1
    provider.status = "active"
    db.session.flush()
    assert counts_on(client)["Transport"] == 3


def test_counts_follow_a_bulk_update_of_listings(client):
    ServiceListingFactory.create_batch(2, category="whelping")
    assert counts_on(client)["Whelping support"] == 2
    db.session.execute(update(ServiceListing).values(status="inactive"))
    assert "Whelping support" not in counts_on(client)


def test_later_pages_reuse_the_counts_of_the_first_page(client):
    ServiceListingFactory.create_batch(25, title="Saluki sighthound care", category="veterinary")
    first = client.get("/listings?q=saluki").get_data(as_text=True)
    next_link = re.search(r'href="(/listings\?[^"]*)" rel="next"', first).group(1).replace("&amp;", "&")
    with count_queries() as statements:
        second = client.get(next_link).get_data(as_text=True)
    assert "Saluki sighthound care" in second and "Veterinary care (25)" in second
    assert len(statements) == 1, statements  # the rows; the counts came from the first page


def _walk(client, url: str) -> list[list[str]]:
    """The titles of every page, following "Next" to the end."""
    pages = []
    while url:
        html = client.get(url).get_data(as_text=True)
        pages.append(re.findall(r"Borzoi item \d\d", html))
        found = re.search(r'href="(/listings\?[^"]*)" rel="next"', html)
        url = found.group(1).replace("&amp;", "&") if found else ""
    return pages


@pytest.mark.parametrize("sort", ["relevance", "newest", "price_asc"])
def test_keyword_pages_are_the_same_whether_or_not_the_counts_were_cached(app, client, sort):
    for number in range(45):
        category = "training" if number % 3 else "grooming"
        ServiceListingFactory(
            title=f"Borzoi item {number:02d}", category=category, price_cents=1000 + number % 7
        )
    url = f"/listings?q=borzoi&category=training&sort={sort}"
    with_cache = _walk(client, url)
    app.extensions[EXTENSION] = None  # every page now counts while it reads its rows
    without_cache = _walk(client, url)
    assert with_cache == without_cache
    assert [len(page) for page in with_cache] == [20, 10]


def test_an_empty_page_still_shows_the_counts_of_its_keyword(client):
    ServiceListingFactory.create_batch(3, title="Saluki sighthound care", category="veterinary")
    assert counts_on(client, "?q=saluki&category=grooming") == {"All": 3, "Veterinary care": 3}


def test_each_set_of_filters_gets_its_own_counts(client):
    ServiceListingFactory.create_batch(2, category="grooming", state="OR")
    ServiceListingFactory(category="grooming", state="WA")
    assert counts_on(client, "?state=OR")["Grooming"] == 2
    assert counts_on(client, "?state=WA")["Grooming"] == 1
    assert counts_on(client, "?state=OR&category=grooming")["Grooming"] == 2
    assert counts_on(client)["Grooming"] == 3


def test_local_cache_entries_expire_after_the_ttl():
    now = [1000.0]
    cache = LocalCountsCache(ttl_seconds=30, clock=lambda: now[0])
    cache.put(cache.generation(), "key", {"grooming": 4})
    now[0] += 29
    assert cache.get(cache.generation(), "key") == {"grooming": 4}
    now[0] += 2
    assert cache.get(cache.generation(), "key") is None


def test_local_cache_drops_counts_taken_before_a_change_landed():
    cache = LocalCountsCache(ttl_seconds=30)
    counted_at = cache.generation()
    cache.invalidate()  # a listing was published while the counts were being taken
    cache.put(counted_at, "key", {"grooming": 4})
    assert cache.get(cache.generation(), "key") is None
    assert cache.read("key") == (counted_at + 1, None)
    cache.put(counted_at + 1, "key", {"grooming": 5})
    assert cache.read("key") == (counted_at + 1, {"grooming": 5})


def test_local_cache_keeps_only_the_most_recently_used_entries():
    cache = LocalCountsCache(ttl_seconds=30, max_entries=2)
    generation = cache.generation()
    for key in ("a", "b"):
        cache.put(generation, key, {key: 1})
    cache.get(generation, "a")
    cache.put(generation, "c", {"c": 1})
    assert cache.get(generation, "b") is None
    assert cache.get(generation, "a") == {"a": 1} and cache.get(generation, "c") == {"c": 1}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_url() -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603 - our own redis-server, fixed arguments
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        for _ in range(100):
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_workers_sharing_redis_see_each_others_counts_and_invalidations(redis_url):
    first_worker = RedisCountsCache(redis.Redis.from_url(redis_url), ttl_seconds=30)
    second_worker = RedisCountsCache(redis.Redis.from_url(redis_url), ttl_seconds=30)
    first_worker.put(first_worker.generation(), "key", {"grooming": 4})
    assert second_worker.get(second_worker.generation(), "key") == {"grooming": 4}
    second_worker.invalidate()
    assert first_worker.get(first_worker.generation(), "key") is None


def test_redis_reads_the_generation_and_an_entry_in_one_round_trip_and_never_an_older_generations(redis_url):
    client = redis.Redis.from_url(redis_url)
    cache = RedisCountsCache(client, ttl_seconds=30)
    counted_at = cache.generation()
    cache.put(counted_at, "key", {"grooming": 4})
    commands_before = client.info("stats")["total_commands_processed"]
    assert cache.read("key") == (counted_at, {"grooming": 4})
    # INFO itself is one command; the read is the other.
    assert client.info("stats")["total_commands_processed"] - commands_before == 2
    cache.invalidate()
    assert cache.read("key") == (counted_at + 1, None)
    cache.put(counted_at, "key", {"grooming": 5})  # counted before the change landed, stored after it
    assert cache.read("key") == (counted_at + 1, None)


def test_browse_page_counts_through_redis_and_sees_a_publish(app, client, redis_url):
    app.extensions[EXTENSION] = RedisCountsCache(redis.Redis.from_url(redis_url), ttl_seconds=30)
    listing = ServiceListingFactory(category="boarding", status="draft", published_at=None)
    assert "Boarding" not in counts_on(client)
    listing.status = "active"
    db.session.flush()
    assert counts_on(client)["Boarding"] == 1


def test_counts_are_still_shown_when_redis_is_unreachable(app, client):
    app.extensions[EXTENSION] = RedisCountsCache(
        redis.Redis(port=_free_port(), socket_timeout=0.2), ttl_seconds=30
    )
    ServiceListingFactory.create_batch(2, category="photography")
    assert counts_on(client)["Photography"] == 2
