"""A transaction that only read ends with COMMIT instead of ROLLBACK, so psycopg keeps its prepared statements.

SQLAlchemy ends every transaction nobody committed with a ROLLBACK: every page view's, as its session closes.
psycopg forgets every statement it prepared on the connection at each ROLLBACK (and deallocates them on the
server), so a page's statements never reached psycopg's prepare threshold (five runs on one connection) and
PostgreSQL parsed and planned each of them on every request. For the data, COMMIT and ROLLBACK of a transaction
that ran nothing but SELECTs are the same: it changed no row, and its locks, advisory locks and local settings
end either way. Any other statement (INSERT, UPDATE, DELETE, a data-modifying WITH, SAVEPOINT, SET…) keeps the
ROLLBACK, as does a transaction in error.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

import psycopg
from psycopg import pq
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

WROTE = "transaction_may_have_written"


def _note_statement(conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
    if not statement.lstrip()[:6].upper().startswith("SELECT"):
        conn.info[WROTE] = True


def _new_transaction(conn: Connection) -> None:
    conn.info.pop(WROTE, None)


def _commit_if_it_only_read(conn: Connection) -> None:
    """rollback: runs before SQLAlchemy's ROLLBACK, which then finds no transaction open and sends nothing."""
    if conn.invalidated or conn.info.pop(WROTE, False):
        return
    dbapi_connection = conn.connection.dbapi_connection
    if not isinstance(dbapi_connection, psycopg.Connection):
        return
    if dbapi_connection.pgconn.transaction_status != pq.TransactionStatus.INTRANS:
        return  # no transaction, or one in error: the ROLLBACK it needs follows
    with suppress(psycopg.Error):  # the ROLLBACK that follows ends whatever is left
        dbapi_connection.commit()


def install_read_only_commit() -> None:
    if event.contains(Engine, "rollback", _commit_if_it_only_read):
        return
    event.listen(Engine, "before_cursor_execute", _note_statement)
    event.listen(Engine, "begin", _new_transaction)
    event.listen(Engine, "commit", _new_transaction)
    event.listen(Engine, "rollback", _commit_if_it_only_read)
