"""Marketplace accounts, service listings and the transactions providers record (spec PART 2)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    DDL,
    BigInteger,
    Boolean,
    CheckConstraint,
    ColumnElement,
    Date,
    Double,
    FetchedValue,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    event,
    false,
    func,
    or_,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship

from models.base import Base
from models.mixins import SpecTimestamps
from models.types import SPEC_TIMESTAMP, check_in, intpk

if TYPE_CHECKING:
    from models.billing import Invoice
    from models.messaging import Message, MessageThread
    from models.tenancy import Contact, Party, Tenant


class UserType(StrEnum):
    BUYER = "buyer"
    SERVICE_PROVIDER = "service_provider"
    BOTH = "both"


class UserStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    BANNED = "banned"


class ListingStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    INACTIVE = "inactive"
    SUSPENDED = "suspended"


class PriceType(StrEnum):
    FIXED = "fixed"
    HOURLY = "hourly"
    DAILY = "daily"
    PER_SESSION = "per_session"
    QUOTE = "quote"


class TransactionStatus(StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


class MarketplaceUser(SpecTimestamps, Base):
    __tablename__ = "MarketplaceUser"
    __table_args__ = (
        check_in("user_type", UserType),
        check_in("status", UserStatus),
        Index("MarketplaceUser_tenantId_idx", "tenant_id", postgresql_where=text("tenant_id IS NOT NULL")),
        Index(
            "MarketplaceUser_stripe_key",
            "stripe_customer_id",
            unique=True,
            postgresql_where=text("stripe_customer_id IS NOT NULL"),
        ),
        # Revision 0024: the few providers the listing browser leaves out (not_in_good_standing).
        Index("MarketplaceUser_not_in_good_standing_idx", "id", postgresql_where=text("status <> 'active'")),
    )

    id: Mapped[intpk]
    email: Mapped[str] = mapped_column(String(255), unique=True)
    email_verified: Mapped[bool | None] = mapped_column(Boolean, server_default=false(), default=False)
    password_hash: Mapped[str] = mapped_column(String(255))
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(50))
    avatar_url: Mapped[str | None] = mapped_column(String(500))
    user_type: Mapped[str | None] = mapped_column(
        String(50), server_default=UserType.BUYER.value, default=UserType.BUYER
    )
    tenant_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("Tenant.id", ondelete="SET NULL"))
    tenant_verified: Mapped[bool | None] = mapped_column(Boolean, server_default=false(), default=False)
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str | None] = mapped_column(
        String(50), server_default=UserStatus.ACTIVE.value, default=UserStatus.ACTIVE
    )
    # Revision 0021: the IANA zone the marketplace shows times in (from the browser at sign-in); None shows UTC.
    time_zone: Mapped[str | None] = mapped_column(String(64))

    tenant: Mapped[Tenant | None] = relationship(back_populates="marketplace_users")
    contacts: Mapped[list[Contact]] = relationship(back_populates="marketplace_user")
    listings: WriteOnlyMapped[ServiceListing] = relationship(back_populates="provider_user")
    sent_messages: WriteOnlyMapped[Message] = relationship(back_populates="sender")
    # Prisma: @relation("BuyerThreads") / @relation("SellerThreads")
    buyer_threads: WriteOnlyMapped[MessageThread] = relationship(
        back_populates="buyer_user", foreign_keys="MessageThread.buyer_user_id"
    )
    seller_threads: WriteOnlyMapped[MessageThread] = relationship(
        back_populates="seller_user", foreign_keys="MessageThread.seller_user_id"
    )
    # Prisma: @relation("ClientUserTransactions") / @relation("ProviderUserTransactions")
    client_transactions: WriteOnlyMapped[MarketplaceTransaction] = relationship(
        back_populates="client_user", foreign_keys="MarketplaceTransaction.client_user_id"
    )
    provider_transactions: WriteOnlyMapped[MarketplaceTransaction] = relationship(
        back_populates="provider_user", foreign_keys="MarketplaceTransaction.provider_user_id"
    )

    @hybrid_property
    def display_name(self) -> str:
        """The name others see: first and last name, either one alone, or else the e-mail address up to the @."""
        full = " ".join(part for part in (self.first_name, self.last_name) if part)
        return full or self.email.split("@", 1)[0]

    @display_name.inplace.expression
    @classmethod
    def _display_name_expression(cls) -> ColumnElement[str]:
        # nullif: concat_ws skips NULLs but not empty strings, which Python's `if part` skips.
        full = func.concat_ws(" ", func.nullif(cls.first_name, ""), func.nullif(cls.last_name, ""))
        return func.coalesce(func.nullif(full, ""), func.split_part(cls.email, "@", 1))

    @hybrid_property
    def in_good_standing(self) -> bool:
        """May sign in, send messages and be listed publicly. No status (NULL) counts as active."""
        return self.status in (None, UserStatus.ACTIVE)

    @in_good_standing.inplace.expression
    @classmethod
    def _in_good_standing_expression(cls) -> ColumnElement[bool]:
        return or_(cls.status.is_(None), cls.status == UserStatus.ACTIVE)

    @hybrid_property
    def not_in_good_standing(self) -> bool:
        return not self.in_good_standing

    @not_in_good_standing.inplace.expression
    @classmethod
    def _not_in_good_standing_expression(cls) -> ColumnElement[bool]:
        """Exactly the rows `in_good_standing` leaves out, as a positive condition that finds the few such
        providers, so the listing browser's counts subtract or anti-join just those (marketplace.browse.facets).
        For a NULL status `status <> 'active'` is NULL, which WHERE treats as false: NULL stays in good standing
        here too. Never negate it in SQL (`~`): NOT NULL is still NULL, so NULL statuses would drop out of both
        sides; use `in_good_standing` instead."""
        return cls.status != UserStatus.ACTIVE

    @property
    def is_provider(self) -> bool:
        return self.user_type in (UserType.SERVICE_PROVIDER, UserType.BOTH)


class ServiceListing(SpecTimestamps, Base):
    __tablename__ = "ServiceListing"
    __table_args__ = (
        check_in("status", ListingStatus),
        check_in("price_type", PriceType),
        Index("ServiceListing_providerUserId_idx", "provider_user_id"),
        Index(
            "ServiceListing_active_idx",
            "status",
            "category",
            "state",
            postgresql_where=text("status = 'active'"),
        ),
        Index("ServiceListing_category_idx", "category", "status"),
        # Revision 0006: full-text search and the keyset sort orders of the public browser.
        Index(
            "ServiceListing_search_idx",
            "search_vector",
            postgresql_using="gin",
            postgresql_where=text("status = 'active'"),
        ),
        Index(
            "ServiceListing_listed_at_idx",
            text("COALESCE(published_at, created_at, '-infinity'::timestamp)"),
            "id",
            postgresql_where=text("status = 'active'"),
        ),
        Index(
            "ServiceListing_price_low_idx",
            text("COALESCE(price_cents, '9223372036854775807'::bigint)"),
            "id",
            postgresql_where=text("status = 'active'"),
        ),
        Index(
            "ServiceListing_price_high_idx",
            text("COALESCE(price_cents, '-1'::bigint)"),
            "id",
            postgresql_where=text("status = 'active'"),
        ),
        # Revision 0008: the browser's category counts for a state, price type and price range, index-only.
        Index(
            "ServiceListing_facets_idx",
            "state",
            "price_type",
            "price_cents",
            "category",
            "provider_user_id",
            postgresql_where=text("status = 'active'"),
        ),
        # Revisions 0019 and 0025: "near me" reads a latitude range, checks the longitude in the index, and, for
        # the category counts and the distance order, with or without a price range, needs nothing else from the
        # table (index-only).
        Index(
            "ServiceListing_location_price_idx",
            "latitude",
            "longitude",
            postgresql_include=["id", "category", "provider_user_id", "service_area_miles", "price_cents"],
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[intpk]
    provider_user_id: Mapped[int] = mapped_column(ForeignKey("MarketplaceUser.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(100))
    price_cents: Mapped[int | None] = mapped_column(BigInteger)
    price_type: Mapped[str | None] = mapped_column(String(50))
    currency: Mapped[str | None] = mapped_column(String(3), server_default="USD", default="USD")
    city: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str | None] = mapped_column(String(50))
    zip_code: Mapped[str | None] = mapped_column(String(20))
    service_area_miles: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str | None] = mapped_column(
        String(50), server_default=ListingStatus.DRAFT.value, default=ListingStatus.DRAFT
    )
    images: Mapped[Any | None] = mapped_column(JSONB)
    tags: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    category_metadata: Mapped[Any | None] = mapped_column(JSONB)
    published_at: Mapped[datetime | None] = mapped_column(SPEC_TIMESTAMP)
    # Revisions 0006 and 0017: written by the "ServiceListing_search_vector_refresh" trigger, never by the app.
    # Deferred: only the search query reads it, and never into Python.
    search_vector: Mapped[Any | None] = mapped_column(TSVECTOR, FetchedValue(), deferred=True)
    # Revision 0019: the centroid of zip_code (models.location), set by a database trigger whenever the ZIP
    # changes, so an ORM write reloads them rather than sending its own.
    latitude: Mapped[float | None] = mapped_column(
        Double, server_default=FetchedValue(), server_onupdate=FetchedValue()
    )
    longitude: Mapped[float | None] = mapped_column(
        Double, server_default=FetchedValue(), server_onupdate=FetchedValue()
    )

    provider_user: Mapped[MarketplaceUser] = relationship(back_populates="listings")
    threads: WriteOnlyMapped[MessageThread] = relationship(back_populates="listing")
    transactions: WriteOnlyMapped[MarketplaceTransaction] = relationship(back_populates="service_listing")


class MarketplaceTransaction(SpecTimestamps, Base):
    __tablename__ = "MarketplaceTransaction"
    __table_args__ = (
        check_in("status", TransactionStatus),
        Index("MarketplaceTransaction_provider_idx", "provider_tenant_id", text("transaction_date DESC")),
        Index(
            "MarketplaceTransaction_client_party_idx",
            "client_party_id",
            postgresql_where=text("client_party_id IS NOT NULL"),
        ),
        Index(
            "MarketplaceTransaction_client_user_idx",
            "client_user_id",
            postgresql_where=text("client_user_id IS NOT NULL"),
        ),
        Index(
            "MarketplaceTransaction_listing_idx",
            "service_listing_id",
            postgresql_where=text("service_listing_id IS NOT NULL"),
        ),
        Index("MarketplaceTransaction_status_idx", "status", text("transaction_date DESC")),
        # Revision 0011: the money of a recorded sale adds up (a NULL fee or net passes; a net needs a fee).
        CheckConstraint("amount_cents > 0", name="amount_cents"),
        CheckConstraint(
            "platform_fee_cents IS NULL OR (platform_fee_cents >= 0 AND platform_fee_cents <= amount_cents)",
            name="platform_fee_cents",
        ),
        CheckConstraint(
            "net_payout_cents IS NULL "
            "OR (platform_fee_cents IS NOT NULL AND net_payout_cents = amount_cents - platform_fee_cents)",
            name="net_payout_cents",
        ),
    )

    id: Mapped[intpk]
    provider_tenant_id: Mapped[int] = mapped_column(ForeignKey("Tenant.id", ondelete="RESTRICT"))
    provider_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("MarketplaceUser.id", ondelete="SET NULL")
    )
    client_party_id: Mapped[int | None] = mapped_column(ForeignKey("Party.id", ondelete="SET NULL"))
    client_user_id: Mapped[int | None] = mapped_column(ForeignKey("MarketplaceUser.id", ondelete="SET NULL"))
    client_description: Mapped[str | None] = mapped_column(Text)
    service_listing_id: Mapped[int | None] = mapped_column(
        ForeignKey("ServiceListing.id", ondelete="SET NULL")
    )
    service_description: Mapped[str] = mapped_column(Text)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3), server_default="USD", default="USD")
    platform_fee_cents: Mapped[int | None] = mapped_column(BigInteger, server_default="0", default=0)
    net_payout_cents: Mapped[int | None] = mapped_column(BigInteger)
    transaction_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str | None] = mapped_column(
        String(50), server_default=TransactionStatus.COMPLETED.value, default=TransactionStatus.COMPLETED
    )
    payment_method: Mapped[str | None] = mapped_column(String(50))
    stripe_invoice_id: Mapped[str | None] = mapped_column(String(255))
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(255))
    notes: Mapped[str | None] = mapped_column(Text)
    # "metadata" is reserved on declarative classes; the column keeps its name.
    extra_metadata: Mapped[Any | None] = mapped_column("metadata", JSONB)

    # Prisma: @relation("ProviderTransactions")
    provider_tenant: Mapped[Tenant] = relationship(back_populates="provider_transactions")
    provider_user: Mapped[MarketplaceUser | None] = relationship(
        back_populates="provider_transactions", foreign_keys=[provider_user_id]
    )
    # Prisma: @relation("ClientPartyTransactions")
    client_party: Mapped[Party | None] = relationship(back_populates="client_transactions")
    client_user: Mapped[MarketplaceUser | None] = relationship(
        back_populates="client_transactions", foreign_keys=[client_user_id]
    )
    service_listing: Mapped[ServiceListing | None] = relationship(back_populates="transactions")
    invoices: WriteOnlyMapped[Invoice] = relationship(back_populates="marketplace_transaction")


# search_vector is kept by a trigger over these functions (revision 0017 creates them). Declared here too so a
# schema built from the models alone (a yardstick in tests) has them; migrations stay the source of truth.
event.listen(
    ServiceListing.__table__,
    "before_create",
    DDL(
        """
        CREATE OR REPLACE FUNCTION listing_category_label(category text)
        RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
          SELECT CASE category
            WHEN 'stud_service' THEN 'Stud service'
            WHEN 'grooming' THEN 'Grooming'
            WHEN 'training' THEN 'Training'
            WHEN 'boarding' THEN 'Boarding'
            WHEN 'transport' THEN 'Transport'
            WHEN 'veterinary' THEN 'Veterinary care'
            WHEN 'photography' THEN 'Photography'
            WHEN 'handling' THEN 'Show handling'
            WHEN 'breeding_consult' THEN 'Breeding consultation'
            WHEN 'whelping' THEN 'Whelping support'
            ELSE replace(category, '_', ' ')
          END
        $$;
        CREATE OR REPLACE FUNCTION listing_search_document(title text, tags text[], description text, category text)
        RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
          SELECT setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')
              || setweight(to_tsvector('english'::regconfig,
                                       coalesce(array_to_string(tags, ' '), '') || ' '
                                       || coalesce(listing_category_label(category), '')), 'B')
              || setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'C')
        $$;
        CREATE OR REPLACE FUNCTION listing_search_vector_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          NEW.search_vector := listing_search_document(NEW.title::text, NEW.tags, NEW.description, NEW.category::text);
          RETURN NEW;
        END
        $$
        """
    ),
)
event.listen(
    ServiceListing.__table__,
    "after_create",
    DDL(
        """
        CREATE TRIGGER "ServiceListing_search_vector_refresh"
        BEFORE INSERT OR UPDATE OF title, tags, description, category ON "ServiceListing"
        FOR EACH ROW EXECUTE FUNCTION listing_search_vector_refresh()
        """
    ),
)
