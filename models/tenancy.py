"""Tenant (a breeder business), Party (a client person or organization) and Contact (a person who may sign in)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, false, text
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship

from models.base import Base
from models.mixins import PrismaTimestamps, SoftDelete, TenantOwned
from models.types import SPEC_TIMESTAMP, check_in, intpk

if TYPE_CHECKING:
    from models.billing import Invoice
    from models.marketplace import MarketplaceTransaction, MarketplaceUser


class PartyType(StrEnum):
    PERSON = "person"
    ORGANIZATION = "organization"


class Tenant(PrismaTimestamps, Base):
    __tablename__ = "Tenant"
    __table_args__ = (Index("Tenant_slug_key", "slug", unique=True),)

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(Text)
    slug: Mapped[str] = mapped_column(Text)

    parties: WriteOnlyMapped[Party] = relationship(back_populates="tenant")
    marketplace_users: WriteOnlyMapped[MarketplaceUser] = relationship(back_populates="tenant")
    provider_transactions: WriteOnlyMapped[MarketplaceTransaction] = relationship(
        back_populates="provider_tenant", foreign_keys="MarketplaceTransaction.provider_tenant_id"
    )

    def __repr__(self) -> str:
        return f"<Tenant {self.slug}>"


class Party(TenantOwned, PrismaTimestamps, Base):
    __tablename__ = "Party"
    __table_args__ = (
        check_in("type", PartyType),
        Index("Party_tenantId_idx", "tenantId"),
    )

    id: Mapped[intpk]
    type: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)

    tenant: Mapped[Tenant] = relationship(back_populates="parties")
    contacts: Mapped[list[Contact]] = relationship(back_populates="party")
    invoices: WriteOnlyMapped[Invoice] = relationship(back_populates="client_party")
    # Prisma: @relation("ClientPartyTransactions")
    client_transactions: WriteOnlyMapped[MarketplaceTransaction] = relationship(back_populates="client_party")


class Contact(TenantOwned, SoftDelete, PrismaTimestamps, Base):
    __tablename__ = "Contact"
    __table_args__ = (
        Index("Contact_partyId_idx", "partyId"),
        Index(
            "Contact_marketplaceUserId_tenantId_key",
            "marketplaceUserId",
            "tenantId",
            unique=True,
            postgresql_where=text('"marketplaceUserId" IS NOT NULL'),
        ),
        Index("Contact_deletedAt_idx", "deletedAt", postgresql_where=text('"deletedAt" IS NULL')),
        Index(
            "Contact_tenantId_deletedAt_idx",
            "tenantId",
            "deletedAt",
            postgresql_where=text('"deletedAt" IS NULL'),
        ),
        Index(
            "Contact_portal_idx", "tenantId", "portalEnabled", postgresql_where=text('"portalEnabled" = true')
        ),
        # Revision 0005: portal sign-in looks a contact up by tenant and e-mail, ignoring case.
        Index(
            "Contact_tenantId_email_lower_idx",
            "tenantId",
            text("lower(email)"),
            postgresql_where=text('"deletedAt" IS NULL'),
        ),
    )

    id: Mapped[intpk]
    party_id: Mapped[int] = mapped_column(
        "partyId", ForeignKey("Party.id", ondelete="RESTRICT", onupdate="CASCADE")
    )
    first_name: Mapped[str | None] = mapped_column("firstName", Text)
    last_name: Mapped[str | None] = mapped_column("lastName", Text)
    email: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    marketplace_user_id: Mapped[int | None] = mapped_column(
        "marketplaceUserId", Integer, ForeignKey("MarketplaceUser.id", ondelete="SET NULL")
    )
    portal_enabled: Mapped[bool | None] = mapped_column("portalEnabled", Boolean, server_default=false())
    portal_password_hash: Mapped[str | None] = mapped_column("portalPasswordHash", String(255))
    portal_last_login: Mapped[datetime | None] = mapped_column("portalLastLogin", SPEC_TIMESTAMP)
    # Revision 0021: the IANA zone the portal shows times in (from the browser at sign-in); None shows UTC.
    time_zone: Mapped[str | None] = mapped_column("timeZone", String(64))

    tenant: Mapped[Tenant] = relationship()
    party: Mapped[Party] = relationship(back_populates="contacts")
    marketplace_user: Mapped[MarketplaceUser | None] = relationship(back_populates="contacts")

    @property
    def display_name(self) -> str:
        full = " ".join(part for part in (self.first_name, self.last_name) if part)
        return full or (self.email or f"Contact {self.id}")
