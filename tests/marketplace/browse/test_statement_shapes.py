"""The browser's statement is built once per shape of filters and run with each request's own values
(marketplace.browse.shapes): the same statement serves different values, each page shows its own values'
listings, and no placeholder ever reaches the database."""

from __future__ import annotations

import itertools

from sqlalchemy.dialects import postgresql

from marketplace.browse.forms import BrowseFilters, Cursor
from marketplace.browse.location import Near
from marketplace.browse.queries import page_statement
from marketplace.browse.shapes import is_placeholder
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
