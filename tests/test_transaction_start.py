"""A transaction opens with its tenant settings in the same round trip as its BEGIN (models/scoping.py,
_begin_with_settings): one query, where psycopg would otherwise send its own BEGIN first. Where psycopg would open
the transaction some other way (an isolation level, SET TRANSACTION) or one is open already, the settings follow
as a statement of their own, as before.

Everything here runs as the application's role on transactions of their own, outside the test's transaction
(tests/conftest.py): each with_nothing_bound() has a session of its own, whose first statement really begins one.
Nothing here writes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from psycopg import pq
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from app.extensions import db
from models import cross_tenant, tenant_scope
from tests.portal.test_row_level_security import with_nothing_bound

TENANT_ID = 7
OTHER_TENANT_ID = 8
SETTINGS_IN_FORCE = text(
    "SELECT current_setting('app.tenant_id', true), current_setting('app.cross_tenant', true), "
    "current_setting('plan_cache_mode')"
)
BACKEND_AND_SETTING = text("SELECT pg_backend_pid(), current_setting('app.tenant_id', true)")
TENANT_SETTING = text("SELECT current_setting('app.tenant_id', true)")
COMBINED_BEGIN = f"BEGIN; SELECT set_config('app.tenant_id', '{TENANT_ID}', true)"
TRACE_LINE = re.compile(r"(?P<sender>[FB])\t[^\t]+\t(?P<kind>\w+)(?:\t ?(?P<body>.*))?")


@dataclass(frozen=True)
class Message:
    """One protocol message of a libpq trace: who sent it (F: us, B: the server), its kind and its contents."""

    sender: str
    kind: str
    body: str

    @property
    def query(self) -> str:
        """A simple-protocol Query's SQL (the trace quotes it)."""
        return self.body.removeprefix('"').removesuffix('"')


@contextmanager
def libpq_trace(driver: psycopg.Connection[Any], path: Path) -> Iterator[list[Message]]:
    """The protocol messages `driver` exchanges inside the block, read once it ends."""
    messages: list[Message] = []
    with path.open("w") as trace:
        driver.pgconn.trace(trace.fileno())
        driver.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        try:
            yield messages
        finally:
            driver.pgconn.untrace()
    for line in path.read_text().splitlines():
        found = TRACE_LINE.fullmatch(line)
        if found:
            messages.append(Message(found["sender"], found["kind"], found["body"] or ""))
        else:
            # A statement of several lines: the trace writes them as they are.
            assert messages, f"not a trace line: {line!r}"
            last = messages.pop()
            messages.append(Message(last.sender, last.kind, f"{last.body}\n{line}"))


def round_trips(messages: list[Message]) -> int:
    """Each exchange ends with the server's ReadyForQuery: one per time the client waits on the server."""
    return sum(message.kind == "ReadyForQuery" for message in messages)


def queries(messages: list[Message]) -> list[str]:
    return [message.query for message in messages if message.sender == "F" and message.kind == "Query"]


def driver_of(connection: Connection) -> psycopg.Connection[Any]:
    driver = connection.connection.dbapi_connection
    assert isinstance(driver, psycopg.Connection)
    return driver


@contextmanager
def app_sessions_on(engine: Engine) -> Iterator[None]:
    """The app's sessions on `engine` instead of the test's one connection, so their transactions are real ones,
    begun and ended on pooled connections as in production."""
    test_connection = db.engines[None]
    db.engines[None] = engine
    try:
        yield
    finally:
        db.engines[None] = test_connection


@pytest.fixture
def app_sessions(app: Flask) -> Iterator[None]:
    """The app's sessions on its own engine (the application's role)."""
    test_connection = db.engines[None]
    assert isinstance(test_connection, Connection)
    with app_sessions_on(test_connection.engine):
        yield


@pytest.fixture
def app_role_engine(app_database_url: str) -> Iterator[Engine]:
    engine = create_engine(app_database_url, poolclass=NullPool)
    yield engine
    engine.dispose()


# ---- the plain transaction: one round trip ---------------------------------------------------------------------


def test_a_transaction_the_app_opens_sends_begin_and_its_settings_in_one_round_trip(
    app: Flask, app_sessions: None, tmp_path: Path
):
    def traced_select() -> tuple[list[Message], tuple[Any, ...], pq.TransactionStatus]:
        with tenant_scope(TENANT_ID):
            driver = driver_of(db.session.connection())
            with libpq_trace(driver, tmp_path / "trace") as messages:
                in_force = tuple(db.session.execute(SETTINGS_IN_FORCE).one())
            db.session.commit()
            return messages, in_force, driver.info.transaction_status

    messages, in_force, after_commit = with_nothing_bound(app, traced_select)

    sent = queries(messages)
    # BEGIN and the settings, then the select: psycopg's own BEGIN first made it three.
    assert round_trips(messages) == 2
    assert messages[0].sender == "F" and messages[0].kind == "Query"
    assert sent[0].startswith(COMBINED_BEGIN), sent
    assert "BEGIN" not in sent
    assert in_force == (str(TENANT_ID), "", "force_custom_plan")
    # psycopg did not send that BEGIN, yet its commit ended the transaction.
    assert after_commit == pq.TransactionStatus.IDLE


def test_a_scope_changed_inside_a_transaction_is_applied_without_a_second_begin(
    app: Flask, app_sessions: None, tmp_path: Path
):
    # The rows seen follow such a change too: test_leaving_a_scope_inside_one_transaction_takes_its_rows_away
    # (tests/portal/test_row_level_security.py). Here: it is a set_config of its own, not a BEGIN in a transaction.
    def change_scope() -> tuple[list[Message], list[str]]:
        driver = driver_of(db.session.connection())
        with libpq_trace(driver, tmp_path / "trace") as messages:
            with tenant_scope(TENANT_ID):
                seen = [db.session.execute(TENANT_SETTING).scalar_one()]
            with tenant_scope(OTHER_TENANT_ID):
                seen.append(db.session.execute(TENANT_SETTING).scalar_one())
        db.session.rollback()
        return messages, seen

    messages, seen = with_nothing_bound(app, change_scope)

    assert seen == [str(TENANT_ID), str(OTHER_TENANT_ID)]
    assert [query for query in queries(messages) if "BEGIN" in query] == [queries(messages)[0]]
    assert not [message for message in messages if message.kind == "NoticeResponse"]


# ---- any text reaches the database as it is ----------------------------------------------------------------------

REASONS = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=60).filter(
    str.strip
)


@pytest.fixture
def reason_connection(app_role_engine: Engine) -> Iterator[Connection]:
    """One connection of the application's role, with a table of its own for a reason to try to drop."""
    with app_role_engine.connect() as connection:
        connection.execute(text("CREATE TEMP TABLE untouched (n integer)"))
        connection.execute(text("INSERT INTO untouched VALUES (1)"))
        connection.commit()
        yield connection


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(reason=REASONS)
@example(reason="'; DROP TABLE untouched; --")
@example(reason="x', true); SELECT set_config('app.tenant_id', '42', true); --")
@example(reason="$$; DROP TABLE untouched; $$")
@example(reason="E'\\'; DROP TABLE untouched; --")
@example(reason="\\\\'\\\"; ;; Ünïcödé ✓ 𝄞 \n\t")
def test_any_reason_reaches_the_database_exactly_and_runs_nothing_else(
    reason_connection: Connection, reason: str
):
    connection = reason_connection
    with cross_tenant(reason):
        assert driver_of(connection).info.transaction_status == pq.TransactionStatus.IDLE
        setting, tenant = connection.execute(
            text("SELECT current_setting('app.cross_tenant'), current_setting('app.tenant_id', true)")
        ).one()
        rows = connection.execute(text("SELECT count(*) FROM untouched")).scalar_one()
    connection.rollback()

    assert setting == reason.strip()  # cross_tenant() keeps the reason without its surrounding blanks
    assert tenant == ""
    assert rows == 1


# ---- other ways a transaction opens: the settings as a statement of their own -----------------------------------


def test_a_transaction_at_another_isolation_level_keeps_that_level_and_gets_the_settings(
    app: Flask, app_sessions: None, tmp_path: Path
):
    def serializable() -> tuple[list[Message], str, str]:
        connection = db.session.connection(execution_options={"isolation_level": "SERIALIZABLE"})
        with tenant_scope(TENANT_ID), libpq_trace(driver_of(connection), tmp_path / "trace") as messages:
            level = connection.execute(text("SHOW transaction_isolation")).scalar_one()
            tenant = connection.execute(TENANT_SETTING).scalar_one()
        db.session.rollback()
        return messages, level, tenant

    messages, level, tenant = with_nothing_bound(app, serializable)

    assert (level, tenant) == ("serializable", str(TENANT_ID))
    assert queries(messages)[0] == "BEGIN ISOLATION LEVEL SERIALIZABLE"


def test_a_transaction_opened_by_set_transaction_keeps_it_and_gets_the_settings(app_role_engine: Engine):
    # As the migrations' pre-flight checks open theirs (app/preflight/runner.py).
    with app_role_engine.connect() as connection, tenant_scope(TENANT_ID):
        connection.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
        level, read_only, tenant = connection.execute(
            text(
                "SELECT current_setting('transaction_isolation'), current_setting('transaction_read_only'), "
                "current_setting('app.tenant_id', true)"
            )
        ).one()
        connection.rollback()

    assert (level, read_only, tenant) == ("repeatable read", "on", str(TENANT_ID))


# ---- a connection that died meanwhile ----------------------------------------------------------------------------


@pytest.fixture
def engine_without_ping(app_database_url: str) -> Iterator[Engine]:
    """One pooled connection, handed out unchecked: nothing notices it died before the transaction opens."""
    engine = create_engine(app_database_url, pool_pre_ping=False, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def test_a_connection_dead_when_its_transaction_opens_is_reported_as_a_disconnect(
    app: Flask, engine_without_ping: Engine, database_url: str
):
    def backend_and_setting() -> tuple[int, str]:
        with tenant_scope(TENANT_ID):
            backend, setting = db.session.execute(BACKEND_AND_SETTING).one()
            return backend, setting

    with app_sessions_on(engine_without_ping):
        backend, _ = with_nothing_bound(app, backend_and_setting)
        owner = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(owner, autocommit=True) as admin:  # a superuser: it may end any backend
            assert admin.execute("SELECT pg_terminate_backend(%s, 5000)", (backend,)).fetchone() == (True,)

        with pytest.raises(OperationalError) as raised:
            with_nothing_bound(app, backend_and_setting)
        fresh = with_nothing_bound(app, backend_and_setting)

    # Invalidated, the app answers 503 (app/errors.py) and the pool opens a new connection.
    assert raised.value.connection_invalidated
    assert fresh[0] != backend and fresh[1] == str(TENANT_ID)
