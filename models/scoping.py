"""Soft delete and tenant isolation, enforced once for every ORM query.

Every SELECT issued through a Session gets two extra criteria:
- rows of SoftDelete models with deletedAt set are hidden, unless the statement opts out with
  `.execution_options(include_deleted=True)`;
- rows of TenantOwned models outside the current tenant are hidden while a tenant context is active
  (`with tenant_scope(tenant_id): ...`), unless the statement opts out with
  `.execution_options(all_tenants=True)`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from models.mixins import SoftDelete, TenantOwned

_current_tenant_id: ContextVar[int | None] = ContextVar("current_tenant_id", default=None)

INCLUDE_DELETED = "include_deleted"
ALL_TENANTS = "all_tenants"


def current_tenant_id() -> int | None:
    return _current_tenant_id.get()


def set_tenant(tenant_id: int | None) -> None:
    """Bind the tenant for the rest of this context (a request); prefer tenant_scope() elsewhere."""
    _current_tenant_id.set(tenant_id)


@contextmanager
def tenant_scope(tenant_id: int) -> Iterator[None]:
    token = _current_tenant_id.set(tenant_id)
    try:
        yield
    finally:
        _current_tenant_id.reset(token)


def _add_scoping_criteria(state: ORMExecuteState) -> None:
    # Relationship and column loads inherit the criteria from the statement that loaded their parent.
    if not state.is_select or state.is_column_load or state.is_relationship_load:
        return
    if not state.execution_options.get(INCLUDE_DELETED, False):
        state.statement = state.statement.options(
            with_loader_criteria(SoftDelete, lambda cls: cls.deleted_at.is_(None), include_aliases=True)
        )
    tenant_id = _current_tenant_id.get()
    if tenant_id is not None and not state.execution_options.get(ALL_TENANTS, False):
        state.statement = state.statement.options(
            with_loader_criteria(
                TenantOwned,
                lambda cls: cls.tenant_id == tenant_id,
                include_aliases=True,
            )
        )


def install_scoping(session_class: type[Session] | Session = Session) -> None:
    """Attach the hook to a Session class (Flask-SQLAlchemy's, or a test's)."""
    if not event.contains(session_class, "do_orm_execute", _add_scoping_criteria):
        event.listen(session_class, "do_orm_execute", _add_scoping_criteria)
