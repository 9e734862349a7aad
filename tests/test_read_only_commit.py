"""A transaction that only read ends with COMMIT (psycopg then keeps its prepared statements); any other keeps
its ROLLBACK, so nothing it wrote survives."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, create_engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

PREPARE_THRESHOLD = 5  # psycopg's default: a statement is prepared on its fifth run on one connection
PREPARED = text("SELECT count(*) FROM pg_prepared_statements")


@pytest.fixture
def connection(database_url: str) -> Iterator[Connection]:
    """A connection of its own, outside the test's transaction: its ROLLBACKs are real ones."""
    engine = create_engine(database_url, poolclass=NullPool)
    with engine.connect() as connection:
        connection.execute(text("CREATE TEMP TABLE scratch (n integer)"))
        connection.commit()
        yield connection
    engine.dispose()


def _count(connection: Connection) -> int:
    return connection.execute(text("SELECT count(*) FROM scratch")).scalar_one()


def test_statements_stay_prepared_across_transactions_that_only_read(connection: Connection):
    for _ in range(PREPARE_THRESHOLD + 1):
        connection.execute(select(text("n")).select_from(text("scratch")).where(text("n > 0"))).all()
        connection.rollback()  # as every page view's transaction ends

    assert connection.execute(PREPARED).scalar_one() >= 1


@pytest.mark.parametrize(
    "write",
    [
        "INSERT INTO scratch VALUES (1)",
        "WITH added AS (INSERT INTO scratch VALUES (1) RETURNING n) SELECT n FROM added",
    ],
)
def test_a_transaction_that_wrote_is_rolled_back(connection: Connection, write: str):
    connection.execute(text("SELECT count(*) FROM scratch"))
    connection.execute(text(write))

    connection.rollback()

    assert _count(connection) == 0


def test_a_transaction_in_error_is_rolled_back_and_the_connection_works_on(connection: Connection):
    connection.execute(text("INSERT INTO scratch VALUES (1)"))
    connection.commit()
    with pytest.raises(DBAPIError):
        connection.execute(text("SELECT 1 / 0"))

    connection.rollback()

    assert _count(connection) == 1
