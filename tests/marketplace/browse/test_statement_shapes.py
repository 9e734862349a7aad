"""The browser's statement is built once per shape of filters and run with each request's own values
(marketplace.browse.shapes): the same statement serves different values, each page shows its own values'
listings, and no placeholder ever reaches the database."""

from __future__ import annotations

import itertools
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql

from app.extensions import db
from marketplace.browse.forms import BrowseFilters, Cursor
from marketplace.browse.location import Near
from marketplace.browse.queries import page_statement
from marketplace.browse.shapes import is_placeholder
from tests.dbserver import scratch_app
from tests.factories import ServiceListingFactory
from tests.marketplace.browse.results_pages import get_page

DALLAS = Near("75201", "Dallas, TX", 32.79, -96.80, 50, False)
AUSTIN = Near("78701", "Austin, TX", 30.27, -97.74, 50, False)


@pytest.mark.parametrize(
    ("listings", "queries", "filters", "bound"),
    [
        (
            {"Shapetest in Texas": {"state": "TX"}, "Shapetest in Oregon": {"state": "OR"}},
            ["q=shapetest&state=TX", "q=shapetest&state=OR"],
            [BrowseFilters(q="shapetest", state=state, sort="relevance") for state in ("TX", "OR")],
            "browse_state",
        ),
        (
            {"Groomer in Dallas": {"zip_code": "75204"}, "Groomer in Austin": {"zip_code": "78704"}},
            ["near=75201&within=50", "near=78701&within=50"],
            [BrowseFilters(near=near, sort="distance") for near in (DALLAS, AUSTIN)],
            "browse_near_longitude",
        ),
    ],
    ids=["state", "location"],
)
def test_one_statement_serves_every_value_of_a_shape_and_each_page_shows_its_own(
    client, app, listings, queries, filters, bound
):
    for title, fields in listings.items():
        ServiceListingFactory(title=title, **fields)
    for title, query in zip(listings, queries, strict=True):
        page = get_page(client, f"/listings?{query}")
        assert [shown for shown in listings if shown in page] == [title]
    with app.test_request_context():
        (first, first_values), (second, second_values) = (page_statement(one, None) for one in filters)
    assert first is second
    assert first_values[bound] != second_values[bound]


# A centroid, a radius and how many longitude ranges its box has: none, one (Dallas; Barrow, far north), two
# (Adak, over the 180th meridian), and one of every longitude (a circle past the pole).
LOCATIONS = [
    None,
    DALLAS,
    Near("99546", "Adak, AK", 51.85, -177.09, 500, True),
    Near("99723", "Barrow, AK", 71.29, -156.60, 500, False),
    Near("99723", "Near the pole", 89.5, 10.0, 100, False),  # past the pole: one range of every longitude
]


def test_no_shape_sends_a_placeholder_and_every_value_has_its_bind(app):
    shapes = itertools.product(
        ["", "golden retr", "-mobile grooming", "stud or"],
        [(None, None), ("grooming", "TX")],
        [None, 5_000],
        [
            (None, False),
            (Cursor("relevance", "0.5", 7), False),
            (Cursor("newest", "2026-01-01 00:00:00", 9), True),
            (Cursor("distance", "12.5", 11), False),
        ],
        [None, False, True],
        LOCATIONS,
    )
    with app.test_request_context():
        for q, (category, state), min_cents, (cursor, backwards), counts_estimated, near in shapes:
            if cursor is not None and cursor.sort == "distance" and near is None:
                continue
            sort = cursor.sort if cursor is not None else ("relevance" if q else "newest")
            filters = BrowseFilters(
                q=q,
                category=category,
                state=state,
                price_type="hourly" if min_cents else None,
                min_cents=min_cents,
                max_cents=min_cents and 90_000,
                sort=sort,
                near=near,
                after=cursor if not backwards else None,
                before=cursor if backwards else None,
            )
            built, values = page_statement(filters, counts_estimated)
            compiled = built.statement.compile(dialect=postgresql.psycopg.dialect())
            placeholders = [value for value in compiled.params.values() if is_placeholder(value)]
            assert not placeholders, (filters, placeholders)
            assert set(values) <= set(compiled.params), (filters, values)
            if near is not None and near.latitude > 89:
                assert (values["browse_west_1"], values["browse_east_1"]) == (-180.0, 180.0)
            if near is not None:
                assert values["browse_near_latitude"] == near.latitude
                assert values["browse_radius_miles"] == near.radius_miles


def test_a_box_over_the_180th_meridian_finds_listings_on_both_sides_and_no_further(client):
    """Adak (-177.1) within 500 miles reaches past the 180th meridian: a listing at 175 degrees east, 337 miles
    west of Adak, is found; one at 160 degrees east (about 1,000 miles) is not."""
    db.session.execute(
        text(
            'INSERT INTO "ZipCentroid" (zip_code, latitude, longitude, city, state) VALUES '
            "('99571', 52.0, 175.0, 'West of the meridian', 'AK'), ('99572', 52.0, 160.0, 'Far west', 'AK')"
            " ON CONFLICT (zip_code) DO UPDATE SET latitude = excluded.latitude, longitude = excluded.longitude"
        )
    )
    ServiceListingFactory(title="Adak groomer", zip_code="99546")
    ServiceListingFactory(title="Across the meridian", zip_code="99571")
    ServiceListingFactory(title="Too far west", zip_code="99572")
    ServiceListingFactory(title="Dallas groomer", zip_code="75201")
    page = get_page(client, "/listings?near=99546&within=500")
    assert re.findall(r"Adak groomer|Across the meridian|Too far west|Dallas groomer", page) == [
        "Adak groomer",
        "Across the meridian",
    ]
    assert re.search(r"Across the meridian.*?(\d+) mi away", page, re.DOTALL).group(1) == "337"


@pytest.mark.parametrize(
    "query",
    [
        {"within": "50", "travel": "1' OR '1'='1", "min_price": "-1e308", "max_price": "nan"},
        {"within": "50", "sort": "distance", "category": "grooming'; --", "state": "\u202etx"},
        {"within": "100", "min_price": "-70000000000000001.01", "max_price": "99999999999999999999"},
        {"within": "1", "near": "75201", "q": "\ue000browse_south\ue000"},
        {"within": "25", "sort": "distance", "travel": "1", "max_price": "-9e300"},
    ],
)
def test_hostile_values_beside_a_location_keep_to_the_buyers_own_nearby_listings(client, query):
    ServiceListingFactory(title="Groomer in Dallas", zip_code="75201", price_cents=5_000)
    ServiceListingFactory(title="Groomer in Austin", zip_code="78701", price_cents=5_000)
    response = client.get("/listings", query_string={"near": "75201", **query})
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:500]
    assert "Groomer in Austin" not in page
    if "q" not in query:
        assert "Groomer in Dallas" in page


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
