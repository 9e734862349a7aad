"""The audit trail: an append-only record of who did what to which row (revision 0010)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Identity, Index, Integer, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base
from models.types import SPEC_TIMESTAMP, check_in


class ActorKind(StrEnum):
    """Who acted: a portal contact, a marketplace user, the application itself (webhooks, jobs) or an operator's
    command."""

    CONTACT = "contact"
    MARKETPLACE_USER = "marketplace_user"
    SYSTEM = "system"
    CLI = "cli"


# The transaction's time in UTC, stored naive like every timestamp here (plain now() would store the session's
# local time in a TIMESTAMP WITHOUT TIME ZONE column).
UTC_NOW = text("timezone('utc'::text, now())")


class AuditEvent(Base):
    """One recorded action. The database refuses UPDATE, DELETE and TRUNCATE on this table (a trigger), so a
    mistake is corrected by recording another event, never by editing history.

    Not TenantOwned, on purpose: many events concern no tenant (a marketplace user's own account, a system job)
    and carry tenant_id NULL. The tenant-scoping hook (models/scoping.py) would hide those from every query run
    inside a tenant context, and its mixin's column is the billing tables' NOT NULL "tenantId", not this nullable
    tenant_id. Writing is unaffected either way (the hook only narrows SELECTs); readers filter by tenant_id
    themselves, served by AuditEvent_tenant_id_occurred_at_idx.

    occurred_at comes from the database (the transaction's time, in UTC), so every writer shares one clock; it is
    read back on flush.
    """

    __tablename__ = "AuditEvent"
    __table_args__ = (
        check_in("actor_kind", ActorKind),
        Index("AuditEvent_tenant_id_occurred_at_idx", "tenant_id", text("occurred_at DESC")),
        Index("AuditEvent_subject_table_subject_id_idx", "subject_table", "subject_id"),
    )
    __mapper_args__ = {"eager_defaults": True}

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(SPEC_TIMESTAMP, server_default=UTC_NOW)
    actor_kind: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(100))
    subject_table: Mapped[str] = mapped_column(String(100))
    subject_id: Mapped[int | None] = mapped_column(BigInteger)
    tenant_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("Tenant.id", ondelete="RESTRICT"))
    # none_as_null: None is SQL NULL (nothing recorded), not the JSON value null.
    before: Mapped[Any | None] = mapped_column(JSONB(none_as_null=True))
    after: Mapped[Any | None] = mapped_column(JSONB(none_as_null=True))

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.action} {self.subject_table}:{self.subject_id}>"


def record_audit(
    session: Session,
    *,
    actor_kind: str,
    actor_id: int | None,
    action: str,
    subject_table: str,
    subject_id: int | None,
    tenant_id: int | None,
    before: Any | None = None,
    after: Any | None = None,
) -> AuditEvent:
    """Add an AuditEvent to the session (written with the caller's transaction, and rolled back with it).

    action is a dotted verb like "sale.recorded" or "marketplace_user.linked_tenant"; subject_table is the
    table's name as the database spells it ("MarketplaceTransaction"); before and after hold JSON values (dicts
    of plain str/int/bool/None: convert dates and Decimals first).
    """
    if actor_kind not in tuple(ActorKind):
        raise ValueError(f"actor_kind must be one of {', '.join(ActorKind)}; got {actor_kind!r}")
    event = AuditEvent(
        actor_kind=actor_kind,
        actor_id=actor_id,
        action=action,
        subject_table=subject_table,
        subject_id=subject_id,
        tenant_id=tenant_id,
        before=before,
        after=after,
    )
    session.add(event)
    return event
