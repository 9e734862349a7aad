"""Soft delete and tenant isolation, enforced once for every ORM query, and again by PostgreSQL itself.

Every SELECT issued through a Session gets extra criteria:
- rows of SoftDelete models with deletedAt set are hidden, unless the statement opts out with
  `.execution_options(include_deleted=True)`;
- rows of TenantOwned models outside the current tenant are hidden: one tenant (`with tenant_scope(id)`, or the
  portal's `set_tenant`), or a marketplace user's linked breeders (`with linked_tenants_scope(ids)`). With no
  tenant bound, a TenantOwned query is refused (TenantNotBound) unless it names why it may span tenants:
  `with cross_tenant("reason")` for a whole block, or `.execution_options(all_tenants=True)` for a statement
  that filters by tenant itself.

Underneath, row-level security (revision 0022) holds even for SQL that forgets all of this: before any statement
runs on a transaction, the scope in force is copied into that transaction's settings (app.tenant_id,
app.tenant_ids, app.cross_tenant, app.marketplace_user_id, set with set_config(..., true) so they end with the
transaction), and the tables' policies show and accept the rows of that scope only. `all_tenants=True` is an ORM opt-out only: the
database still shows the bound tenant's rows, and none when nothing is bound; only cross_tenant() widens both.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

import psycopg
import psycopg.sql
from psycopg import pq
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.pool import Pool
from sqlalchemy.sql import Executable
from sqlalchemy.sql.util import find_tables

from models.base import Base
from models.mixins import SoftDelete, TenantOwned

T = TypeVar("T")
E = TypeVar("E", bound=Executable)
INCLUDE_DELETED = "include_deleted"
ALL_TENANTS = "all_tenants"
PREBUILT = "prebuilt"


class TenantNotBound(RuntimeError):
    """A query of tenant-owned rows ran with no tenant bound and no named reason to span tenants."""


@dataclass(frozen=True)
class TenantScope:
    """What the current context may see: one tenant, a set of linked tenants, every tenant for a named reason,
    or (all None) nothing tenant-owned at all."""

    tenant_id: int | None = None
    tenant_ids: tuple[int, ...] | None = None
    cross_tenant_reason: str | None = None
    # The signed-in marketplace user: a sale is also visible to its buyer and its provider (revision 0022).
    marketplace_user_id: int | None = None

    def settings(self) -> tuple[str, str, str, str]:
        """app.tenant_id, app.tenant_ids, app.cross_tenant and app.marketplace_user_id; '' is "unset"."""
        tenant_ids = "" if self.tenant_ids is None else "{" + ",".join(map(str, self.tenant_ids)) + "}"
        tenant_id = "" if self.tenant_id is None else str(self.tenant_id)
        user_id = "" if self.marketplace_user_id is None else str(self.marketplace_user_id)
        return tenant_id, tenant_ids, self.cross_tenant_reason or "", user_id


NO_TENANT = TenantScope()
_scope: ContextVar[TenantScope] = ContextVar("tenant_scope", default=NO_TENANT)


def current_scope() -> TenantScope:
    return _scope.get()


def current_tenant_id() -> int | None:
    return _scope.get().tenant_id


def bind_tenant(tenant_id: int | None) -> Token[TenantScope]:
    """Bind one tenant (or none) for the rest of this context; hand the token to unbind_tenant() to undo."""
    return _scope.set(NO_TENANT if tenant_id is None else TenantScope(tenant_id=tenant_id))


def unbind_tenant(token: Token[TenantScope]) -> None:
    try:
        _scope.reset(token)
    except ValueError:  # the token belongs to another context: start that one from nothing
        _scope.set(NO_TENANT)


def set_tenant(tenant_id: int | None) -> None:
    """Bind the tenant for the rest of this context; prefer tenant_scope() or bind_tenant() elsewhere."""
    bind_tenant(tenant_id)


@contextmanager
def _scoped(scope: TenantScope) -> Iterator[None]:
    token = _scope.set(scope)
    try:
        yield
    finally:
        _scope.reset(token)


def tenant_scope(tenant_id: int):
    """Inside the block, tenant-owned rows are this tenant's only (reads and writes). A signed-in marketplace
    user stays bound (a seller working for their breeder)."""
    return _scoped(TenantScope(tenant_id=tenant_id, marketplace_user_id=_scope.get().marketplace_user_id))


def linked_tenants_scope(tenant_ids: Iterable[int], marketplace_user_id: int | None = None):
    """Inside the block, tenant-owned rows of these tenants can be read (a marketplace user's breeders); none
    can be written. With `marketplace_user_id`, the sales that user is party to can be read too."""
    user_id = marketplace_user_id if marketplace_user_id is not None else _scope.get().marketplace_user_id
    return _scoped(TenantScope(tenant_ids=tuple(sorted(set(tenant_ids))), marketplace_user_id=user_id))


def cross_tenant(reason: str):
    """Inside the block, rows of every tenant can be read and written, for the reason given. For the few paths
    that span tenants by nature (a Stripe webhook, a command-line tool, the demo loader); each is listed in
    docs/security.md. The reason travels to the database as app.cross_tenant."""
    if not reason or not reason.strip():
        raise ValueError("cross_tenant() needs the reason this code may span tenants")
    return _scoped(TenantScope(cross_tenant_reason=reason.strip()))


def each_step_in_tenant(tenant_id: int, items: Iterable[T]) -> Iterator[T]:
    """Iterate `items` (a lazy reader, like a streamed response's rows) with the tenant bound while each item is
    produced, and unbound while the consumer holds it: a `with tenant_scope()` held open across a yield would
    leak into whatever runs between two steps, and outlive its request."""
    iterator = iter(items)
    while True:
        with tenant_scope(tenant_id):
            try:
                item = next(iterator)
            except StopIteration:
                return
        yield item


# ---- the ORM half -------------------------------------------------------------------------------------------


def _reads_tenant_owned_rows(state: ORMExecuteState) -> bool:
    if state.execution_options.get(PREBUILT, False):
        # Finding a statement's entities walks all its columns: once per statement built once.
        return _prebuilt_reads_tenant_owned_rows(state.statement, state)
    return _any_tenant_owned(state.all_mappers)


def _any_tenant_owned(mappers: Iterable[Any]) -> bool:
    return any(issubclass(mapper.class_, TenantOwned) for mapper in mappers)


# Weak: a statement dropped from its own cache (the browser's LRU of shapes) takes its answer with it.
_tenant_owned_by_prebuilt: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


def _prebuilt_reads_tenant_owned_rows(statement: Any, state: ORMExecuteState) -> bool:
    known = _tenant_owned_by_prebuilt.get(statement)
    if known is None:
        known = _tenant_owned_by_prebuilt[statement] = _any_tenant_owned(state.all_mappers)
    return known


def needs_orm_criteria(statement: Any) -> bool:
    """Whether the statement reads a table of a soft-deleted or tenant-owned model, anywhere in it (joins,
    subqueries, EXISTS, aliases). One that reads none gets nothing from the criteria above, so it may run on the
    session's connection (Core) without the ORM's execution layer; row-level security holds either way."""
    tables = find_tables(statement, check_columns=True, include_aliases=True, include_selects=True)
    scoped = {
        mapper.local_table
        for mapper in Base.registry.mappers
        if issubclass(mapper.class_, (SoftDelete, TenantOwned))
    }
    return not scoped.isdisjoint(tables)


# One option object for every statement: it holds no per-request value, and building it is not free.
_NOT_DELETED = with_loader_criteria(SoftDelete, lambda cls: cls.deleted_at.is_(None), include_aliases=True)


# The tenant criteria, one option object per scope: a lambda criterion is analysed each time one is built (about
# as long as the rest of a small query's Python), and a signed-in person's requests all share one scope.
@lru_cache(maxsize=1024)
def _one_tenant(tenant_id: int) -> Any:
    return with_loader_criteria(TenantOwned, lambda cls: cls.tenant_id == tenant_id, include_aliases=True)


@lru_cache(maxsize=1024)
def _some_tenants(tenant_ids: tuple[int, ...]) -> Any:
    return with_loader_criteria(TenantOwned, lambda cls: cls.tenant_id.in_(tenant_ids), include_aliases=True)


def prebuilt(statement: E) -> E:
    """Mark a statement built once (a module constant, its per-request values as bindparams): its scoped form is
    kept per scope, so neither it nor its cache key is rebuilt on every request. Only for statements that live as
    long as the process: each one kept holds its scoped forms."""
    return statement.execution_options(**{PREBUILT: True})


@lru_cache(maxsize=4096)
def _scoped_prebuilt(statement: Any, *options: Any) -> Any:
    # The options are module constants or _one_tenant / _some_tenants's per-scope objects, so equal scopes hit.
    return statement.options(*options)


def _add_scoping_criteria(state: ORMExecuteState) -> None:
    # Relationship and column loads inherit the criteria from the statement that loaded their parent.
    if not state.is_select or state.is_column_load or state.is_relationship_load:
        return
    options = [] if state.execution_options.get(INCLUDE_DELETED, False) else [_NOT_DELETED]
    scope = _scope.get()
    if scope.cross_tenant_reason or state.execution_options.get(ALL_TENANTS, False):
        pass
    elif scope.tenant_id is not None:
        options.append(_one_tenant(scope.tenant_id))
    elif scope.tenant_ids is not None:
        options.append(_some_tenants(scope.tenant_ids))
    elif _reads_tenant_owned_rows(state):
        raise TenantNotBound(
            "A query of tenant-owned rows ran with no tenant bound. Bind one (tenant_scope), or name why it "
            "spans tenants (cross_tenant('reason'), or all_tenants=True when it filters by tenant itself)."
        )
    if not options:
        return
    if state.execution_options.get(PREBUILT, False):
        state.statement = _scoped_prebuilt(state.statement, *options)
    else:
        state.statement = state.statement.options(*options)


def install_scoping(session_class: type[Session] | Session = Session) -> None:
    """Attach the hook to a Session class (Flask-SQLAlchemy's, or a test's)."""
    if not event.contains(session_class, "do_orm_execute", _add_scoping_criteria):
        event.listen(session_class, "do_orm_execute", _add_scoping_criteria)


# ---- the database half --------------------------------------------------------------------------------------

APPLIED = "tenant_scope_applied"
# plan_cache_mode rides along, for every transaction: psycopg prepares a statement run five times on one
# connection, and PostgreSQL may then switch it to a generic plan, one for any values. For the browser's statement
# (limits, cursors and keywords as parameters) a generic plan took 1 to 3.5 s where a plan for the values took
# 2 to 7 ms (1M listings). A prepared statement still saves its parsing; each run is planned for its values.
_APPLY = (
    "SELECT set_config('app.tenant_id', %s, true), set_config('app.tenant_ids', %s, true), "
    "set_config('app.cross_tenant', %s, true), set_config('app.marketplace_user_id', %s, true), "
    "set_config('plan_cache_mode', 'force_custom_plan', true)"
)


# Not before these: ROLLBACK TO would undo the settings just written, and SET TRANSACTION must come first.
TRANSACTION_CONTROL = (
    "SAVEPOINT",
    "RELEASE",
    "ROLLBACK",
    "COMMIT",
    "BEGIN",
    "START TRANSACTION",
    "SET TRANSACTION",
)


def _apply_scope(conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
    """before_cursor_execute: the transaction runs every statement under the scope in force right now.

    Applied once per transaction and again whenever the scope changes inside one. The settings are local to the
    transaction, so a pooled connection starts its next transaction with nothing, whatever the last one held;
    and a fresh transaction is always written (even to "nothing"), so no value survives by accident."""
    scope = _scope.get()
    if conn.info.get(APPLIED) == scope or statement.lstrip()[:17].upper().startswith(TRANSACTION_CONTROL):
        return
    # On the driver's own connection: no SQLAlchemy events (this is not a query of the page), and safe beside a
    # server-side cursor.
    driver = conn.connection.dbapi_connection
    if getattr(driver, "autocommit", False):
        # Each statement is a transaction of its own: settings local to a transaction would end before the
        # statement they were written for (models/one_statement.py).
        return
    if _would_begin_on_its_own(driver):
        _begin_with_settings(driver, scope.settings())  # type: ignore[arg-type]
    else:
        driver.execute(_APPLY, scope.settings())  # type: ignore[union-attr]
    conn.info[APPLIED] = scope


def _would_begin_on_its_own(driver: Any) -> bool:
    """psycopg is about to open a transaction with a plain BEGIN: a round trip of its own before the settings'."""
    return (
        isinstance(driver, psycopg.Connection)
        and not driver.autocommit
        and driver.pgconn.transaction_status == pq.TransactionStatus.IDLE
        and driver.isolation_level is None
        and driver.read_only is None
        and driver.deferrable is None
    )


def _begin_with_settings(driver: psycopg.Connection[Any], settings: tuple[str, str, str, str]) -> None:
    """BEGIN and the settings in one round trip instead of two (every request's first statement waits on both).

    One simple-protocol query runs both statements; psycopg then finds the transaction open and sends no BEGIN,
    and commits or rolls back as ever (it goes by the server's transaction status)."""
    command = _begin_with_settings_command(settings, driver.info.encoding)
    result = driver.pgconn.exec_(command)
    if result.status != pq.ExecStatus.TUPLES_OK:
        error = psycopg.errors.error_from_result(result, encoding=driver.info.encoding)
        if driver.pgconn.status == pq.ConnStatus.BAD:
            # What psycopg itself raises for a lost connection (the result alone carries no error code), so the
            # pool and app/errors.py see the disconnect they know.
            raise psycopg.OperationalError(str(error)) from error
        raise error


@lru_cache(maxsize=4096)
def _begin_with_settings_command(settings: tuple[str, str, str, str], encoding: str) -> bytes:
    # The values as quoted literals: psycopg's quoting, not string pasting (a reason may hold any text).
    statement = psycopg.sql.SQL("BEGIN; " + _APPLY.replace("%s", "{}"))
    return statement.format(*map(psycopg.sql.Literal, settings)).as_string(None).encode(encoding)


def _forget_applied(conn: Connection, *_args: Any) -> None:
    """The transaction (or savepoint) ended: its settings are gone or rolled back to unknown values."""
    if conn.invalidated:
        return  # its connection is gone, and its info with it; reading it would raise over the error that did that
    conn.info.pop(APPLIED, None)


def _forget_applied_on_checkout(_dbapi_connection: Any, record: Any, *_args: Any) -> None:
    record.info.pop(APPLIED, None)


def install_database_scope() -> None:
    """Copy the tenant scope into every transaction of every engine (the app's, the migrations', the tests')."""
    if event.contains(Engine, "before_cursor_execute", _apply_scope):
        return
    event.listen(Engine, "before_cursor_execute", _apply_scope)
    for name in ("begin", "commit", "rollback", "rollback_savepoint"):
        event.listen(Engine, name, _forget_applied)
    event.listen(Pool, "checkout", _forget_applied_on_checkout)
    event.listen(Pool, "checkin", lambda _dbapi, record: record.info.pop(APPLIED, None))
