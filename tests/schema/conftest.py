"""Schema and migration tests: each walks Alembic revisions on its own scratch database.

Every test here carries the `migrations` marker, so `make test-migrations` (and .ci/run, on PostgreSQL 15) can
run just these. They never touch the shared test database, so the per-test rollback fixture is switched off.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from alembic import command
from alembic.runtime.migration import MigrationContext
from flask import Flask
from psycopg.rows import dict_row

from app import create_app
from app.extensions import db
from tests.dbserver import create_database, drop_database
from tests.schema.catalog import libpq_url

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "docs" / "spec" / "production-ready-schema.md"
NOTES = ROOT / "docs" / "schema-notes.md"

REV1 = "0001_existing_schema"
REV2 = "0002_production_ready_schema"
EXISTING_TABLES = ("Tenant", "Party", "Contact", "Invoice", "Payment")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.migrations)


@pytest.fixture(autouse=True)
def _db_transaction() -> Iterator[None]:
    """Overrides the suite's per-test rollback: these tests commit on scratch databases of their own."""
    yield


class ScratchDatabase:
    """A database of its own, with an app bound to it, that revisions can be walked up and down on."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.app: Flask = create_app({"SQLALCHEMY_DATABASE_URI": url}, env_name="testing")

    def _alembic(self, action: Callable, revision: str) -> None:
        with self.app.app_context():
            config = self.app.extensions["migrate"].migrate.get_config()
            try:
                action(config, revision)
            finally:
                db.engine.dispose()

    def upgrade(self, revision: str = "head") -> None:
        self._alembic(command.upgrade, revision)

    def downgrade(self, revision: str) -> None:
        self._alembic(command.downgrade, revision)

    def revision(self) -> str | None:
        with psycopg.connect(libpq_url(self.url), autocommit=True) as conn:
            exists = conn.execute("SELECT to_regclass('alembic_version') IS NOT NULL").fetchone()[0]
            if not exists:
                return None
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            return row[0] if row else None

    def heads(self) -> tuple[str, ...]:
        with self.app.app_context():
            with db.engine.connect() as connection:
                heads = MigrationContext.configure(connection).get_current_heads()
            db.engine.dispose()
        return heads

    @contextmanager
    def connect(self, autocommit: bool = True) -> Iterator[psycopg.Connection]:
        with psycopg.connect(libpq_url(self.url), autocommit=autocommit) as conn:
            yield conn

    def execute(self, sql: str, params: tuple | dict | None = None) -> list[tuple]:
        with self.connect() as conn:
            cursor = conn.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def dispose(self) -> None:
        with self.app.app_context():
            db.engine.dispose()


def table_rows(database: ScratchDatabase, tables=EXISTING_TABLES, columns: dict | None = None) -> dict:
    """{table: [row dict, ...]} ordered by id; restricted to `columns[table]` when given."""
    found = {}
    with psycopg.connect(libpq_url(database.url), row_factory=dict_row) as conn:
        for table in tables:
            rows = conn.execute(f'SELECT * FROM "{table}" ORDER BY id').fetchall()
            if columns is not None:
                rows = [{key: row[key] for key in columns[table]} for row in rows]
            found[table] = rows
    return found


@pytest.fixture
def scratch_db(pg_server_url: str) -> Iterator[Callable[[], ScratchDatabase]]:
    """scratch_db() -> a new empty database (dropped after the test)."""
    made: list[str] = []
    opened: list[ScratchDatabase] = []

    def make() -> ScratchDatabase:
        name = f"breeder_schema_{os.getpid()}_{uuid.uuid4().hex[:10]}"
        made.append(name)
        database = ScratchDatabase(create_database(pg_server_url, name))
        opened.append(database)
        return database

    yield make
    for database in opened:
        database.dispose()
    for name in made:
        drop_database(pg_server_url, name)


@pytest.fixture(scope="session")
def head_db(pg_server_url: str) -> Iterator[ScratchDatabase]:
    """One database at `upgrade head`, shared by the tests that only read it or roll back what they write."""
    name = f"breeder_schema_head_{os.getpid()}"
    database = ScratchDatabase(create_database(pg_server_url, name))
    database.upgrade("head")
    yield database
    database.dispose()
    drop_database(pg_server_url, name)


@contextmanager
def seeded_connection(head_db, baseline: str) -> Iterator[psycopg.Connection]:
    """A connection to the database at head with `baseline` inserted, all rolled back afterwards."""
    with head_db.connect(autocommit=False) as connection:
        connection.execute(baseline)
        yield connection
        connection.rollback()


def refused(
    conn: psycopg.Connection, sql: str, error: type[Exception] | tuple[type[Exception], ...]
) -> psycopg.Error:
    """Run `sql` in a savepoint that must fail with `error`; the error, for its constraint name."""
    with pytest.raises(error) as raised, conn.transaction():
        conn.execute(sql)
    return raised.value
