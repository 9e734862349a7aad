"""A read that is one statement, on a public page, runs without a transaction block of its own.

A single statement is its own transaction in PostgreSQL, with its own snapshot: wrapped in BEGIN and COMMIT it
reads exactly the same rows, and pays two more round trips (the browse page's would be four with the pool's
ping; now two). Run this way, it gets none of the tenant settings either: models.scoping writes them with
set_config(..., true), which ends with the transaction. So only a statement that reads no soft-deleted or
tenant-owned table (models.scoping.needs_orm_criteria) may come here; row-level security shows it no tenant's
rows, as for any statement run without a scope.

One setting still matters: the scope's settings force a plan for each statement's values (plan_cache_mode),
because a prepared statement's generic plan made the browse statement take seconds at 1M listings. Without a
transaction, only the server session's own default can do that. The application's role has it (ALTER ROLE in
app.database_roles); each new connection reads it once, and a connection without it keeps the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import pq
from sqlalchemy import event
from sqlalchemy.engine import Engine, RowMapping
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool
from sqlalchemy.sql import Executable

# ConnectionRecord.info: the connection's server session plans each statement for the values it is given.
PLANS_FOR_VALUES = "plans_for_values"
PLANS_FOR_VALUES_MODE = b"force_custom_plan"


def read_in_session(session: Session, statement: Executable, values: dict[str, Any]) -> Sequence[RowMapping]:
    """The statement's rows as mappings, without the ORM's execution layer. Inside the session's transaction when
    it has one (the request has read already), or when it is bound to a connection, whose transaction is its
    owner's (the tests' one per test); otherwise alone, by read_rows. The clause picks the bind, as the ORM would:
    a read replica for a public read."""
    bind = session.get_bind(clause=statement)
    if session.in_transaction() or not isinstance(bind, Engine):
        connection = session.connection(bind_arguments={"clause": statement})
        return connection.execute(statement, values).mappings().all()
    return read_rows(bind, statement, values)


def read_rows(engine: Engine, statement: Executable, values: dict[str, Any]) -> Sequence[RowMapping]:
    """The statement's rows as mappings, read on a connection of its own: in autocommit mode when its server
    session plans for values, in a transaction (BEGIN, the scope's settings, COMMIT) otherwise."""
    with engine.connect() as connection:
        if connection.connection.info.get(PLANS_FOR_VALUES):
            connection.execution_options(isolation_level="AUTOCOMMIT")
        return connection.execute(statement, values).mappings().all()


def _note_plan_mode(dbapi_connection: Any, record: Any) -> None:
    """connect: read the new session's plan_cache_mode (its role's default) once, for the life of the connection."""
    if not isinstance(dbapi_connection, psycopg.Connection):
        return
    # libpq's own call: a simple query outside any transaction, which psycopg neither wraps in BEGIN nor sees.
    result = dbapi_connection.pgconn.exec_(b"SELECT current_setting('plan_cache_mode')")
    record.info[PLANS_FOR_VALUES] = (
        result.status == pq.ExecStatus.TUPLES_OK and result.get_value(0, 0) == PLANS_FOR_VALUES_MODE
    )


def install_plan_mode_check() -> None:
    if not event.contains(Pool, "connect", _note_plan_mode):
        event.listen(Pool, "connect", _note_plan_mode)
