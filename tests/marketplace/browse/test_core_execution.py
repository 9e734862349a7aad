"""The browser's statement runs on the session's connection (Core), without the ORM's execution layer, because it
reads no soft-deleted or tenant-owned table (models.scoping.needs_orm_criteria): every shape the site builds
qualifies, the rows are the ones the ORM would have given, the ORM never sees the statement, and the statement
still goes where the ORM would have sent it (a read replica for a public read)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import replace
from urllib.parse import parse_qsl

import pytest
from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.sql.util import find_tables
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.read_routing import READ_FROM
from app.replicas import make_replica_set
from marketplace.browse import queries
from marketplace.browse.forms import BrowseFilters, Cursor, parse_filters
from marketplace.browse.location import Near
from marketplace.browse.queries import _run, page_statement
from models import MarketplaceUser, ProviderStats, ServiceListing
from models.scoping import bind_tenant, needs_orm_criteria, unbind_tenant
from tests.factories import MarketplaceUserFactory, ServiceListingFactory
from tests.marketplace.browse.results_pages import get_page
from tests.query_count import count_queries

DALLAS = Near("75201", "Dallas, TX", 32.79, -96.80, 50, False)
ADAK = Near("99546", "Adak, AK", 51.85, -177.09, 500, True)  # a box in two longitude ranges
COUNTS_STATES = [None, False, True]  # not cached (counted in the statement), cached exact, cached estimates

LISTING_TABLE = ServiceListing.__table__


@pytest.fixture(autouse=True)
def _fresh_shapes() -> Iterator[None]:
    """Built statements are kept per shape for the process: a test that changes how they are built starts and
    leaves the cache empty."""
    queries._built_for_shape.cache_clear()
    yield
    queries._built_for_shape.cache_clear()


@pytest.fixture
def public_request(app: Flask) -> Iterator[None]:
    """A request context with no tenant bound, as a signed-out visitor's browse page has."""
    with app.test_request_context("/listings"):
        outside = bind_tenant(None)
        try:
            yield
        finally:
            unbind_tenant(outside)


def _every_shape() -> Iterator[BrowseFilters]:
    keywords = ["", "grooming", '"show handling" or stud -mobile']
    narrowing = [
        {},
        {"state": "TX"},  # beside a location, a filter the location index lacks: each row read by id
        {"category": "training", "price_type": "fixed", "min_cents": 0, "max_cents": 90_000},
    ]
    for q, narrow, near in itertools.product(keywords, narrowing, [None, DALLAS, ADAK]):
        sorts = (
            ["newest", "price_asc", "price_desc"]
            + (["relevance"] if q else [])
            + (["distance"] if near else [])
        )
        for sort in sorts:
            yield BrowseFilters(q=q, sort=sort, near=near, **narrow)
        # Paging on in the default order, both ways.
        sort = "distance" if near else ("relevance" if q else "newest")
        key = {"distance": "12.5", "relevance": "0.5", "newest": "2026-01-01 00:00:00"}[sort]
        yield BrowseFilters(q=q, sort=sort, near=near, after=Cursor(sort, key, 7), **narrow)
        yield BrowseFilters(q=q, sort=sort, near=near, before=Cursor(sort, key, 7), **narrow)


def test_every_browse_statement_shape_reads_no_soft_deleted_or_tenant_owned_table(public_request):
    shapes = 0
    for filters, counts_estimated in itertools.product(_every_shape(), COUNTS_STATES):
        built, _values = page_statement(filters, counts_estimated)
        assert built.needs_orm is False, (filters, counts_estimated)
        assert needs_orm_criteria(built.statement) is False
        # And it is the page's statement: listings and their providers.
        tables = set(find_tables(built.statement, include_aliases=True, include_selects=True))
        assert {LISTING_TABLE, MarketplaceUser.__table__} <= tables
        if counts_estimated is None:
            assert built.counting is not None
        shapes += 1
    assert shapes > 500


# ---- the same rows either way ---------------------------------------------------------------------------------

SHOWN = {
    "Core groomer in Dallas",
    "Core trainer in Austin",
    "Core stud in Oregon",
    "Core quote groomer",
    "Core groomer who travels",
}
HIDDEN = {"Core inactive listing", "Core draft listing", "Core suspended provider", "Core banned provider"}


@pytest.fixture
def listings() -> None:
    add_core_listings()
    db.session.flush()


def add_core_listings() -> None:
    """Five listings a visitor sees (SHOWN) beside four nobody does (HIDDEN): inactive, draft, and two whose
    provider is suspended or banned."""
    rated = MarketplaceUserFactory(user_type="service_provider", tenant_verified=True)
    ServiceListingFactory(
        title="Core groomer in Dallas",
        provider_user=rated,
        zip_code="75204",
        city="Dallas",
        price_cents=4_000,
        price_type="hourly",
        tags=["grooming", "mobile"],
    )
    db.session.add(ProviderStats(provider_user_id=rated.id, review_count=2, rating_sum=9))
    ServiceListingFactory(title="Core trainer in Austin", category="training", price_cents=9_000)
    ServiceListingFactory(
        title="Core stud in Oregon", category="stud_service", state="OR", price_cents=45_000
    )
    ServiceListingFactory(title="Core quote groomer", price_cents=None, price_type="quote", tags=None)
    ServiceListingFactory(title="Core groomer who travels", zip_code="75201", service_area_miles=100)
    ServiceListingFactory(title="Core inactive listing", status="inactive", zip_code="75201")
    ServiceListingFactory(title="Core draft listing", status="draft")
    for status in ("suspended", "banned"):
        provider = MarketplaceUserFactory(user_type="service_provider", status=status)
        ServiceListingFactory(title=f"Core {status} provider", provider_user=provider, zip_code="75201")


QUERIES = [
    "",
    "q=core",
    "q=groomer&category=grooming",
    "state=TX&sort=price_asc",
    "min_price=0&max_price=95&sort=price_desc",
    "price_type=quote",
    "near=75201&within=50",
    "near=75201&within=50&travel=1",
    "near=75201&within=500&state=TX&sort=newest",
    f"after={Cursor('newest', '2999-01-01 00:00:00', 1).encode()}",
]


@pytest.mark.parametrize("counts_estimated", COUNTS_STATES, ids=["counted", "cached", "cached-estimates"])
@pytest.mark.parametrize("query", QUERIES)
def test_the_core_path_gives_the_rows_the_orm_path_gives(listings, public_request, query, counts_estimated):
    filters = parse_filters(MultiDict(parse_qsl(query)))
    built, values = page_statement(filters, counts_estimated)
    assert built.needs_orm is False

    core = [dict(row) for row in _run(built, values)]
    orm = [dict(row) for row in _run(replace(built, needs_orm=True), values)]

    assert core == orm
    titles = {row["title"] for row in core if row["id"] is not None}
    assert titles and titles <= SHOWN, titles
    if counts_estimated is None:
        assert core[0]["category_counts"]  # the counts ride along, on every row


# ---- the ORM never sees the statement --------------------------------------------------------------------------


@pytest.fixture
def orm_listing_statements() -> Iterator[list[object]]:
    """Each statement reading listings that went through the ORM's execution (do_orm_execute) while the test ran."""
    seen: list[object] = []

    def note(state: ORMExecuteState) -> None:
        if LISTING_TABLE in find_tables(state.statement, include_aliases=True, include_selects=True):
            seen.append(state.statement)

    event.listen(db.session, "do_orm_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.session, "do_orm_execute", note)


@pytest.mark.parametrize("query", ["/", "/listings?q=core&state=TX", "/listings?near=75201&within=50"])
def test_a_browse_page_runs_its_listing_statement_without_the_orm(
    client, listings, orm_listing_statements, query
):
    with count_queries() as statements:
        page = get_page(client, query)
    assert "Core groomer who travels" in page
    assert not [title for title in HIDDEN if title in page]
    assert any('"ServiceListing"' in statement for statement in statements)  # it did run, on the connection
    assert orm_listing_statements == []


def test_a_shape_that_needs_the_orm_runs_through_it(client, listings, orm_listing_statements, monkeypatch):
    monkeypatch.setattr(queries, "needs_orm_criteria", lambda _statement: True)
    page = get_page(client, "/listings?q=core&state=TX")
    assert "Core groomer who travels" in page
    assert len(orm_listing_statements) == 1


# ---- routed as the ORM would route it ----------------------------------------------------------------------------


@pytest.fixture
def same_database_replica(app: Flask, app_database_url: str) -> Iterator[object]:
    """A "replica" that is a second engine on the test database: it sees none of the test's uncommitted rows, and
    its own statements can be told from the primary's."""
    replicas = make_replica_set([app_database_url], dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"]), 60)
    try:
        yield replicas.replicas[0]
    finally:
        db.session.remove()  # hand back the session's connection to the replica before its pool goes
        replicas.dispose()


@pytest.mark.parametrize("needs_orm", [False, True], ids=["core", "orm"])
def test_a_routed_session_reads_the_browse_statement_from_the_replica(
    listings, public_request, same_database_replica, needs_orm
):
    built, values = page_statement(parse_filters(MultiDict({"q": "core"})), None)
    on_replica: list[str] = []

    def note(_conn, _cursor, statement: str, *_args: object) -> None:
        on_replica.append(statement)

    event.listen(same_database_replica.engine, "before_cursor_execute", note)
    db.session().info[READ_FROM] = same_database_replica
    try:
        with count_queries() as on_primary:
            rows = _run(replace(built, needs_orm=needs_orm), values)
    finally:
        db.session().info.pop(READ_FROM, None)
        event.remove(same_database_replica.engine, "before_cursor_execute", note)
    assert any('"ServiceListing"' in statement for statement in on_replica)
    assert not any('"ServiceListing"' in statement for statement in on_primary)
    # The test's listings are uncommitted: the replica's connection cannot see them.
    assert not {row["title"] for row in rows} & SHOWN
