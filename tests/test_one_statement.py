"""A public page's only statement runs without BEGIN and COMMIT (models/one_statement.py): on a connection whose
server session plans for values (plan_cache_mode, set on the application's role by app.database_roles), in
autocommit mode, where no scope settings are written and row-level security shows no tenant's rows; on any other
connection, or once the request's transaction is open, in a transaction with its settings, as before.

The requests here commit for real on pooled connections of their own: a scratch database, its rows committed
once for the module (tests/dbserver.py scratch_app), never the test's one transaction, which has no Engine to
connect from and would hide its rows from every other connection.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import psycopg
import pytest
from flask import Flask
from psycopg import pq
from sqlalchemy import Engine, create_engine, event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool
from werkzeug.datastructures import MultiDict

from app.auth import issue_session
from app.database_roles import APP_ROLE, provision_app_role
from app.extensions import db
from app.read_routing import READ_FROM
from app.replicas import make_replica_set
from marketplace.browse import queries
from marketplace.browse.forms import Cursor, parse_filters
from marketplace.browse.queries import PageStatement, _run, page_statement
from models import Invoice, MarketplaceUser
from models.one_statement import PLANS_FOR_VALUES, read_rows
from models.scoping import APPLIED, NO_TENANT, bind_tenant, cross_tenant, unbind_tenant
from tests.conftest import TEST_DATA, FreshContextClient
from tests.dbserver import scratch_app
from tests.factories import InvoiceFactory, MarketplaceUserFactory
from tests.marketplace.browse.test_core_execution import HIDDEN, SHOWN, add_core_listings
from tests.test_transaction_start import Message, libpq_trace, round_trips
from tests.test_transaction_start import queries as sent_queries

IDLE = pq.TransactionStatus.IDLE
INTRANS = pq.TransactionStatus.INTRANS
BUYER_EMAIL = "buyer@one-statement.test"
LISTING_STATEMENT = '"ServiceListing"'
GROOMERS = {"Core groomer in Dallas", "Core quote groomer", "Core groomer who travels"}


@dataclass(frozen=True)
class Site:
    app: Flask
    buyer_id: int
    invoice_ids: frozenset[int]

    @property
    def engine(self) -> Engine:
        with self.app.app_context():
            engine = db.engines[None]
        assert isinstance(engine, Engine)
        return engine


@pytest.fixture(scope="module")
def site(pg_server_url: str) -> Iterator[Site]:
    # Broad search's limits lowered, so "core" (every listing's title) takes the broad shape.
    config = {
        "LISTING_BROAD_SEARCH_CANDIDATES": 3,
        "LISTING_BROAD_SEARCH_WALK_ROWS": 20,
        "LISTING_BROAD_SEARCH_PROBE_ROWS": 5,
    }
    with scratch_app(pg_server_url, f"breeder_one_statement_{os.getpid()}", config) as app:
        app.test_client_class = FreshContextClient
        with app.app_context(), cross_tenant(TEST_DATA):
            add_core_listings()
            buyer = MarketplaceUserFactory(email=BUYER_EMAIL)
            invoices = [InvoiceFactory(), InvoiceFactory()]
            db.session.commit()
            built = Site(app, buyer.id, frozenset(invoice.id for invoice in invoices))
            db.session.remove()
        yield built


@pytest.fixture(autouse=True)
def _fresh_shapes() -> Iterator[None]:
    queries._built_for_shape.cache_clear()
    yield
    queries._built_for_shape.cache_clear()


@contextmanager
def nothing_bound() -> Iterator[None]:
    """No tenant scope at all, as a signed-out visitor's request has (the test's own is cross_tenant)."""
    outside = bind_tenant(None)
    try:
        yield
    finally:
        unbind_tenant(outside)


@dataclass
class Seen:
    """What an engine's connections did inside a block: the protocol messages (the pool's ping included), and
    for each statement SQLAlchemy ran, the driver's autocommit and transaction status once it had run."""

    messages: list[Message] = field(default_factory=list)
    statements: list[tuple[str, bool, pq.TransactionStatus, object]] = field(default_factory=list)

    def listing_statements(self) -> list[tuple[bool, pq.TransactionStatus]]:
        return [(auto, status) for sql, auto, status, _ in self.statements if LISTING_STATEMENT in sql]

    def listing_scopes(self) -> list[object]:
        """The scope whose settings the transaction held when each listing statement ran (None: none written)."""
        return [applied for sql, _, _, applied in self.statements if LISTING_STATEMENT in sql]


def _driver(dbapi_connection: Any) -> psycopg.Connection[Any]:
    assert isinstance(dbapi_connection, psycopg.Connection)
    return dbapi_connection


@contextmanager
def noting_statements(engine: Engine, seen: Seen) -> Iterator[None]:
    def note(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        driver = _driver(conn.connection.dbapi_connection)
        applied = conn.info.get(APPLIED)
        seen.statements.append((statement, driver.autocommit, driver.info.transaction_status, applied))

    event.listen(engine, "after_cursor_execute", note)
    try:
        yield
    finally:
        event.remove(engine, "after_cursor_execute", note)


@contextmanager
def traced_pool(engine: Engine, warm_up: Callable[[], object], directory: Path) -> Iterator[Seen]:
    """Everything the engine's pooled connections exchange inside the block. The pool pings a connection before
    any checkout event, so the trace starts on the idle connections themselves: the pool is emptied, warm_up()
    fills it (new connections, first reads of any cache), and the block may use those connections only."""
    engine.dispose()
    drivers: dict[int, psycopg.Connection[Any]] = {}

    def keep(dbapi_connection: Any, _record: Any) -> None:
        drivers[id(dbapi_connection)] = _driver(dbapi_connection)

    event.listen(engine, "checkin", keep)
    try:
        warm_up()
    finally:
        event.remove(engine, "checkin", keep)
    assert drivers

    checked_out: list[int] = []

    def note_checkout(dbapi_connection: Any, *_args: Any) -> None:
        checked_out.append(id(dbapi_connection))

    seen = Seen()
    with ExitStack() as stack:
        traces = [
            stack.enter_context(libpq_trace(driver, directory / f"trace-{number}"))
            for number, driver in enumerate(drivers.values())
        ]
        event.listen(engine, "checkout", note_checkout)
        stack.callback(event.remove, engine, "checkout", note_checkout)
        stack.enter_context(noting_statements(engine, seen))
        yield seen
    for messages in traces:
        seen.messages.extend(messages)
    assert checked_out and set(checked_out) <= set(drivers), "a connection outside the trace was used"


@contextmanager
def traced_checkouts(engine: Engine, directory: Path) -> Iterator[Seen]:
    """Everything the engine's connections exchange between checkout and checkin (for an engine without a ping)."""
    seen = Seen()
    stack = ExitStack()
    traces: list[list[Message]] = []

    def start(dbapi_connection: Any, *_args: Any) -> None:
        traces.append(
            stack.enter_context(libpq_trace(_driver(dbapi_connection), directory / f"co-{len(traces)}"))
        )

    def stop(*_args: Any) -> None:
        stack.close()

    event.listen(engine, "checkout", start)
    event.listen(engine, "checkin", stop)
    try:
        with noting_statements(engine, seen):
            yield seen
    finally:
        event.remove(engine, "checkout", start)
        event.remove(engine, "checkin", stop)
        stack.close()
    for messages in traces:
        seen.messages.extend(messages)


def _frontend_text(messages: list[Message]) -> list[str]:
    return [message.body for message in messages if message.sender == "F"]


def _statement(
    app: Flask, query: str, counts_estimated: bool | None = None
) -> tuple[PageStatement, dict[str, Any]]:
    with app.test_request_context("/listings"), nothing_bound():
        built, values = page_statement(parse_filters(MultiDict(parse_qsl(query))), counts_estimated)
    assert built.needs_orm is False
    return built, values


def _titles(rows: Any) -> set[str]:
    return {row["title"] for row in rows if row["id"] is not None}


def _read_in_a_transaction(
    engine: Engine, built: PageStatement, values: dict[str, Any]
) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        assert _driver(connection.connection.dbapi_connection).autocommit is False
        rows = [dict(row) for row in connection.execute(built.statement, values).mappings()]
        assert _driver(connection.connection.dbapi_connection).info.transaction_status == INTRANS
        connection.rollback()
    return rows


@pytest.fixture
def auto_plan_engine(site: Site) -> Iterator[Engine]:
    """The application's role with its session planning as PostgreSQL does by default: plan_cache_mode=auto."""
    engine = create_engine(
        site.engine.url,
        poolclass=NullPool,
        connect_args={"options": "-c plan_cache_mode=auto"},
    )
    yield engine
    engine.dispose()


# ---- a signed-out page: the statement alone ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/listings", "/listings?q=groomer"])
def test_a_signed_out_browse_page_sends_only_the_ping_and_its_statement_in_autocommit(
    site: Site, tmp_path: Path, path: str
):
    client = site.app.test_client()

    with traced_pool(site.engine, lambda: client.get(path), tmp_path) as seen:
        page = client.get(path)

    assert page.status_code == 200
    text_of_page = page.get_data(as_text=True)
    assert "Core groomer who travels" in text_of_page
    assert not [title for title in HIDDEN if title in text_of_page]
    # Its one statement, on a connection in autocommit with no transaction open, and nothing else.
    assert seen.listing_statements() == [(True, IDLE)]
    assert seen.listing_scopes() == [None]
    assert len(seen.statements) == 1
    sent = " ".join(_frontend_text(seen.messages)).upper()
    for word in ("BEGIN", "SET_CONFIG", "COMMIT", "ROLLBACK"):
        assert word not in sent, seen.messages
    assert round_trips(seen.messages) == 2  # the pool's ping, then the statement


def test_a_signed_in_visitors_browse_page_reads_inside_its_transaction_with_its_settings(
    site: Site, tmp_path: Path
):
    client = site.app.test_client()
    with site.app.app_context():
        identity = issue_session("marketplace", db.session.get(MarketplaceUser, site.buyer_id))
        db.session.commit()
        db.session.remove()
    with client.session_transaction() as session:
        session.update({"_user_id": identity, "_fresh": True})

    with traced_pool(site.engine, lambda: client.get("/listings"), tmp_path) as seen:
        page = client.get("/listings")

    assert page.status_code == 200
    assert "Core groomer who travels" in page.get_data(as_text=True)
    assert seen.listing_statements() == [(False, INTRANS)]
    # The browse page binds no scope for a marketplace user: the settings written are those of none.
    assert seen.listing_scopes() == [NO_TENANT]
    # In the trace: BEGIN with settings, the settings for the scope in force, the statement, and only then COMMIT.
    bodies = _frontend_text(seen.messages)
    begin_at = [i for i, body in enumerate(bodies) if body.startswith('"BEGIN; SELECT set_config(')]
    listing_at = [i for i, body in enumerate(bodies) if LISTING_STATEMENT in body]
    commit_at = [i for i, body in enumerate(bodies) if body == '"COMMIT"']
    settings_at = [i for i, body in enumerate(bodies) if "set_config('app.tenant_id'" in body]
    assert len(begin_at) == len(listing_at) == len(commit_at) == 1, bodies
    assert begin_at[0] < listing_at[0] < commit_at[0]
    assert max(i for i in settings_at if i < listing_at[0]) >= begin_at[0]


# ---- the role's plan mode decides -------------------------------------------------------------------------------


def test_a_connection_planning_generically_reads_in_a_transaction_with_settings_and_the_same_rows(
    site: Site, auto_plan_engine: Engine, tmp_path: Path
):
    built, values = _statement(site.app, "q=groomer")
    with auto_plan_engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT")
        assert connection.exec_driver_sql("SHOW plan_cache_mode").scalar_one() == "auto"
        assert connection.connection.info[PLANS_FOR_VALUES] is False

    with nothing_bound(), traced_checkouts(auto_plan_engine, tmp_path) as seen:
        transactional = [dict(row) for row in read_rows(auto_plan_engine, built.statement, values)]
    with nothing_bound():
        autocommitted = [dict(row) for row in read_rows(site.engine, built.statement, values)]

    assert seen.listing_statements() == [(False, INTRANS)]
    sent = sent_queries(seen.messages)
    assert sent[0].startswith("BEGIN; SELECT set_config('app.tenant_id', '', true)"), sent
    assert "set_config('plan_cache_mode', 'force_custom_plan', true)" in sent[0]
    assert transactional == autocommitted
    assert _titles(transactional) == GROOMERS


def test_the_provisioned_role_plans_for_values_and_provisioning_twice_leaves_one_setting(
    database_url: str, app_database_url: str, app: Flask
):
    provision_app_role(database_url)
    provision_app_role(database_url)

    engine = create_engine(app_database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT")
            assert connection.exec_driver_sql("SHOW plan_cache_mode").scalar_one() == "force_custom_plan"
            assert connection.connection.info[PLANS_FOR_VALUES] is True
    finally:
        engine.dispose()
    owner = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(owner, autocommit=True) as admin:
        settings = admin.execute(
            "SELECT s.setconfig FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole "
            "JOIN pg_database d ON d.oid = s.setdatabase WHERE r.rolname = %s AND d.datname = current_database()",
            (APP_ROLE,),
        ).fetchall()
    assert settings == [(["plan_cache_mode=force_custom_plan"],)]


# ---- the same rows without the transaction --------------------------------------------------------------------

SHAPES = [
    "",
    "category=training",
    "q=core",  # every listing's title: broad, with the site's lowered limits
    "q=groomer&category=grooming",
    'q="show handling" or stud -mobile',
    "q=quote",
    "sort=price_asc",
    "min_price=0&max_price=95&sort=price_desc",
    "near=75201&within=50&travel=1",
    f"after={Cursor('newest', '2999-01-01 00:00:00', 1).encode()}",
    f"sort=price_asc&after={Cursor('price_asc', '50', 2_000_000_000).encode()}",
]


@pytest.mark.parametrize("counts_estimated", [None, True], ids=["counted", "estimates"])
@pytest.mark.parametrize("query", SHAPES)
def test_autocommit_reads_the_rows_a_transaction_reads(site: Site, query: str, counts_estimated: bool | None):
    built, values = _statement(site.app, query, counts_estimated)
    with nothing_bound():
        autocommitted = [dict(row) for row in read_rows(site.engine, built.statement, values)]
        transactional = _read_in_a_transaction(site.engine, built, values)

    assert autocommitted == transactional
    assert _titles(autocommitted) <= SHOWN
    assert not _titles(autocommitted) & HIDDEN


def test_every_shape_above_finds_some_of_the_listings(site: Site):
    # So the comparison above is of rows, not of empty pages.
    empty = []
    for query in SHAPES:
        built, values = _statement(site.app, query)
        with nothing_bound():
            if not _titles(read_rows(site.engine, built.statement, values)):
                empty.append(query)
    assert empty == []


# ---- row-level security fails closed ------------------------------------------------------------------------------


def test_a_tenant_owned_table_read_in_autocommit_shows_no_rows_whatever_the_scope(site: Site):
    invoice_ids = select(Invoice.id)
    with nothing_bound():
        unscoped = read_rows(site.engine, invoice_ids, {})
    with cross_tenant("a test checking that autocommit carries no scope"):
        scoped_autocommit = read_rows(site.engine, invoice_ids, {})
        with site.engine.connect() as connection:
            in_a_transaction = set(connection.execute(invoice_ids).scalars())
            connection.rollback()

    assert list(unscoped) == []
    # The settings are transaction-local, and autocommit writes none: even a named cross-tenant reason is lost.
    assert list(scoped_autocommit) == []
    # The invoices are there, for a transaction that carries the scope.
    assert in_a_transaction == site.invoice_ids


def test_the_application_role_really_is_held_to_row_level_security(site: Site):
    with site.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT")
        user, bypasses = connection.execute(
            text("SELECT current_user, rolbypassrls OR rolsuper FROM pg_roles WHERE rolname = current_user")
        ).one()
    assert (user, bypasses) == (APP_ROLE, False)


# ---- a replica still takes the public read ---------------------------------------------------------------------


@pytest.fixture
def site_replica(site: Site) -> Iterator[Any]:
    """A "replica" that is a second engine on the site's database: the same committed rows, its own statements."""
    replicas = make_replica_set(
        [site.engine.url.render_as_string(hide_password=False)],
        dict(site.app.config["SQLALCHEMY_ENGINE_OPTIONS"]),
        60,
    )
    try:
        yield replicas.replicas[0]
    finally:
        replicas.dispose()


def test_a_routed_session_reads_the_browse_statement_from_the_replica_in_autocommit(
    site: Site, site_replica: Any
):
    built, values = _statement(site.app, "")
    on_replica, on_primary = Seen(), Seen()
    with site.app.test_request_context("/listings"), nothing_bound():
        db.session.remove()
        db.session().info[READ_FROM] = site_replica
        try:
            assert not db.session().in_transaction()
            with (
                noting_statements(site_replica.engine, on_replica),
                noting_statements(site.engine, on_primary),
            ):
                rows = _run(built, values)
        finally:
            db.session.remove()

    assert on_replica.listing_statements() == [(True, IDLE)]
    assert on_primary.statements == []
    assert _titles(rows) == SHOWN


# ---- a connection lost under the statement -----------------------------------------------------------------------


@pytest.mark.parametrize("plan_mode", ["force_custom_plan", "auto"])
def test_a_backend_killed_under_the_statement_raises_the_disconnect_and_the_next_read_reconnects(
    site: Site, plan_mode: str
):
    """No ping, so the statement itself meets the dead backend: the error that reaches the page (and becomes its
    503) is the disconnect, not one raised while the connection is closed after it."""
    built, values = _statement(site.app, "q=groomer")
    engine = create_engine(
        site.engine.url,
        pool_pre_ping=False,
        pool_size=1,
        max_overflow=0,
        connect_args={"options": f"-c plan_cache_mode={plan_mode}"},
    )
    try:
        with engine.connect() as connection:
            backend = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
            connection.rollback()
        with site.engine.connect() as other:  # the same role may end its own backends
            assert other.exec_driver_sql(f"SELECT pg_terminate_backend({int(backend)})").scalar_one() is True
            other.rollback()

        with nothing_bound(), pytest.raises(OperationalError) as lost:
            read_rows(engine, built.statement, values)
        assert lost.value.connection_invalidated

        with nothing_bound():
            assert _titles(read_rows(engine, built.statement, values)) == GROOMERS
    finally:
        engine.dispose()
