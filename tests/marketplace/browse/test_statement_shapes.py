"""The browser's statement is built once per shape of filters and run with each request's own values
(marketplace.browse.shapes): the same statement serves different values, each page shows its own values'
listings, and no placeholder ever reaches the database."""

from __future__ import annotations

import itertools
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.dialects import postgresql

from app.extensions import db
from marketplace.browse.forms import BrowseFilters, Cursor
from marketplace.browse.location import Near
from marketplace.browse.queries import page_statement
from marketplace.browse.shapes import is_placeholder
from tests.dbserver import scratch_app
from tests.factories import ServiceListingFactory
from tests.marketplace.browse.results_pages import get_page


def test_one_statement_serves_every_value_of_a_shape_and_each_page_shows_its_own(client, app):
    ServiceListingFactory(title="Shapetest in Texas", state="TX")
    ServiceListingFactory(title="Shapetest in Oregon", state="OR")
    texas = get_page(client, "/listings?q=shapetest&state=TX")
    oregon = get_page(client, "/listings?q=shapetest&state=OR")
    assert "Shapetest in Texas" in texas and "Shapetest in Oregon" not in texas
    assert "Shapetest in Oregon" in oregon and "Shapetest in Texas" not in oregon
    with app.test_request_context():
        first, texas_values = page_statement(BrowseFilters(q="shapetest", state="TX", sort="relevance"), None)
        second, oregon_values = page_statement(
            BrowseFilters(q="shapetest", state="OR", sort="relevance"), None
        )
    assert first is second
    assert texas_values["browse_state"] == "TX" and oregon_values["browse_state"] == "OR"


def test_no_shape_sends_a_placeholder_and_every_value_has_its_bind(app):
    shapes = itertools.product(
        ["", "golden retr", "-mobile grooming", "stud or"],
        [(None, None), ("grooming", "TX")],
        [None, 5_000],
        [
            (None, False),
            (Cursor("relevance", "0.5", 7), False),
            (Cursor("newest", "2026-01-01 00:00:00", 9), True),
        ],
        [None, False, True],
    )
    with app.test_request_context():
        for q, (category, state), min_cents, (cursor, backwards), counts_estimated in shapes:
            sort = cursor.sort if cursor is not None else ("relevance" if q else "newest")
            filters = BrowseFilters(
                q=q,
                category=category,
                state=state,
                price_type="hourly" if min_cents else None,
                min_cents=min_cents,
                max_cents=min_cents and 90_000,
                sort=sort,
                after=cursor if not backwards else None,
                before=cursor if backwards else None,
            )
            built, values = page_statement(filters, counts_estimated)
            compiled = built.statement.compile(dialect=postgresql.psycopg.dialect())
            placeholders = [value for value in compiled.params.values() if is_placeholder(value)]
            assert not placeholders, (filters, placeholders)
            assert set(values) <= set(compiled.params), (filters, values)


def test_a_buyers_location_gets_a_statement_built_for_it(app):
    with app.test_request_context():
        dallas = Near("75201", "Dallas, TX", 32.79, -96.80, 50, False)
        austin = Near("78701", "Austin, TX", 30.27, -97.74, 50, False)
        first, first_values = page_statement(BrowseFilters(near=dallas, sort="distance"), None)
        second, _ = page_statement(BrowseFilters(near=austin, sort="distance"), None)
    assert first_values == {}  # nothing bound by name: the statement holds this location's own box
    assert first.statement is not second.statement


def test_25_parallel_searches_on_one_shape_each_get_their_own_states_listings(pg_server_url: str):
    """The shared statement under concurrent requests: 25 threads at once, five states, one shape; each page
    lists its own state's listings only."""
    states = ["TX", "OR", "VT", "ME", "NM"]
    with scratch_app(pg_server_url, f"breeder_shapes_{os.getpid()}") as app:
        with app.app_context():
            for state in states:
                ServiceListingFactory(title=f"Parallel shape {state}", state=state)
            db.session.commit()
            db.session.remove()
        clients = [app.test_client() for _ in range(25)]
        wanted = [states[number % len(states)] for number in range(25)]
        start = threading.Barrier(25)

        def search(client, state: str) -> str:
            start.wait()
            return client.get(f"/listings?q=parallel&state={state}").get_data(as_text=True)

        with ThreadPoolExecutor(max_workers=25) as pool:
            pages = list(pool.map(search, clients, wanted))
    for state, page in zip(wanted, pages, strict=True):
        assert re.findall(r"Parallel shape [A-Z]{2}", page) == [f"Parallel shape {state}"]
