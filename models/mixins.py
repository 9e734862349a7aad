"""Timestamps, soft delete and tenant ownership, declared once."""

from datetime import datetime

from sqlalchemy import ForeignKey, func
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from models.types import PRISMA_TIMESTAMP, SPEC_TIMESTAMP, utcnow


class PrismaTimestamps:
    """createdAt / updatedAt as Prisma writes them: @default(now()) and @updatedAt (no database default)."""

    created_at: Mapped[datetime] = mapped_column(
        "createdAt", PRISMA_TIMESTAMP, server_default=func.current_timestamp(), default=utcnow
    )
    updated_at: Mapped[datetime] = mapped_column(
        "updatedAt", PRISMA_TIMESTAMP, default=utcnow, onupdate=utcnow
    )


class SpecTimestamps:
    """created_at / updated_at as the spec's marketplace tables declare them: nullable, DEFAULT NOW()."""

    created_at: Mapped[datetime | None] = mapped_column(
        SPEC_TIMESTAMP, server_default=func.now(), default=utcnow
    )
    updated_at: Mapped[datetime | None] = mapped_column(
        SPEC_TIMESTAMP, server_default=func.now(), default=utcnow, onupdate=utcnow
    )


class SoftDelete:
    """Rows with deletedAt set are hidden from every ordinary query (see models.scoping)."""

    deleted_at: Mapped[datetime | None] = mapped_column("deletedAt", SPEC_TIMESTAMP)

    def soft_delete(self) -> None:
        self.deleted_at = utcnow()


class TenantOwned:
    """A row that belongs to one breeder business. Queries are narrowed to the current tenant (models.scoping)."""

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:
        return mapped_column("tenantId", ForeignKey("Tenant.id", ondelete="RESTRICT", onupdate="CASCADE"))
