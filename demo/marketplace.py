"""Demo marketplace accounts and their listings (demo/data/marketplace.toml)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.passwords import hash_password
from demo.loader import insert, read, records
from models import ListingStatus, MarketplaceUser, ServiceListing, Tenant, UserType
from models.types import utcnow


@dataclass(frozen=True)
class DemoUser:
    email: str
    first_name: str
    last_name: str
    user_type: str = UserType.BUYER
    tenant: str | None = None


@dataclass(frozen=True)
class DemoListing:
    provider: str
    title: str
    category: str
    price_type: str
    city: str
    state: str
    zip_code: str
    service_area_miles: int
    published_hours_ago: int
    tags: list[str]
    description: str
    price_cents: int | None = None
    status: str = ListingStatus.ACTIVE


@dataclass(frozen=True)
class MarketplaceRows:
    users: dict[str, MarketplaceUser]  # by e-mail
    listings: dict[tuple[str, str], ServiceListing]  # by (provider e-mail, title)


def _get_or_create_user(spec: DemoUser, password: str) -> MarketplaceUser:
    user = db.session.scalar(select(MarketplaceUser).where(MarketplaceUser.email == spec.email))
    if user is None:
        tenant_id = None
        if spec.tenant:
            tenant_id = db.session.scalar(select(Tenant.id).where(Tenant.slug == spec.tenant))
        user = insert(
            MarketplaceUser(
                email=spec.email,
                password_hash=hash_password(password),
                email_verified=True,
                first_name=spec.first_name,
                last_name=spec.last_name,
                user_type=spec.user_type,
                tenant_id=tenant_id,
                tenant_verified=tenant_id is not None,
            )
        )
    return user


def _get_or_create_listing(provider: MarketplaceUser, spec: DemoListing) -> ServiceListing:
    listing = db.session.scalar(
        select(ServiceListing).where(
            ServiceListing.provider_user_id == provider.id, ServiceListing.title == spec.title
        )
    )
    if listing is None:
        listing = insert(
            ServiceListing(
                provider_user_id=provider.id,
                title=spec.title,
                description=spec.description,
                category=spec.category,
                price_cents=spec.price_cents,
                price_type=spec.price_type,
                city=spec.city,
                state=spec.state,
                zip_code=spec.zip_code,
                service_area_miles=spec.service_area_miles,
                status=spec.status,
                tags=spec.tags,
                published_at=utcnow() - timedelta(hours=spec.published_hours_ago),
            )
        )
    return listing


def seed_marketplace(password: str) -> MarketplaceRows:
    data = read("marketplace.toml")
    users = {spec.email: _get_or_create_user(spec, password) for spec in records(DemoUser, data["users"])}
    listings = {
        (spec.provider, spec.title): _get_or_create_listing(users[spec.provider], spec)
        for spec in records(DemoListing, data["listings"])
    }
    return MarketplaceRows(users=users, listings=listings)
