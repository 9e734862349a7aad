"""The page cache (app/page_cache.py): a worker may answer a signed-out visitor's public page from memory for a few
seconds; a signed-in visitor never gets a kept page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from app.page_cache import EXTENSION, PageCache
from tests.factories import MarketplaceUserFactory, ServiceListingFactory


@pytest.fixture
def listing():
    return ServiceListingFactory(title="Field training for pointers")


@pytest.fixture
def page_cache(app: Flask) -> Iterator[PageCache]:
    """The worker's page cache switched on for one test (the tests run with it off)."""
    from app.public_pages import _answer_from_cache

    cache = PageCache(seconds=60)
    app.extensions[EXTENSION] = cache
    hooks = app.before_request_funcs.setdefault(None, [])
    hooks.append(_answer_from_cache)
    try:
        yield cache
    finally:
        hooks.remove(_answer_from_cache)
        app.extensions.pop(EXTENSION, None)


def test_a_signed_out_visitor_may_see_a_page_kept_for_seconds(client, page_cache, listing):
    assert "Field training for pointers" in client.get("/").get_data(as_text=True)
    ServiceListingFactory(title="Retriever water work")
    kept = client.get("/")
    assert kept.status_code == 200
    assert "Retriever water work" not in kept.get_data(as_text=True)
    assert kept.headers["Cache-Control"] == "public, max-age=60"
    again = client.get("/", headers={"If-None-Match": kept.headers["ETag"]})
    assert again.status_code == 304
    page_cache.clear()
    assert "Retriever water work" in client.get("/").get_data(as_text=True)


def test_a_signed_in_visitor_never_gets_the_kept_page(client, login_as, page_cache, listing):
    client.get("/")
    ServiceListingFactory(title="Retriever water work")
    login_as(MarketplaceUserFactory())
    response = client.get("/")
    assert "Retriever water work" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


def test_the_kept_page_is_per_address_and_per_htmx_block(client, page_cache, listing):
    full = client.get("/listings").get_data(as_text=True)
    block = client.get("/listings", headers={"HX-Request": "true"}).get_data(as_text=True)
    other = client.get("/listings?category=training").get_data(as_text=True)
    assert "<html" in full and "<html" not in block
    assert "Field training for pointers" not in other  # a grooming listing, filtered out
