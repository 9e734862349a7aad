"""Listing lookups: a public listing, a provider's other public listings, and a seller's own listings."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from app.extensions import db
from models import ListingStatus, MarketplaceUser, ServiceListing

OTHER_LISTINGS_SHOWN = 6


def publicly_visible():
    """Listings anyone may see: active, from an active provider. Used by every public query."""
    return (ServiceListing.status == ListingStatus.ACTIVE) & MarketplaceUser.in_good_standing


def public_listing_or_404(listing_id: int) -> ServiceListing:
    return db.first_or_404(
        select(ServiceListing)
        .join(MarketplaceUser, ServiceListing.provider_user_id == MarketplaceUser.id)
        .where(ServiceListing.id == listing_id, publicly_visible())
    )


def other_public_listings(listing: ServiceListing) -> Sequence[ServiceListing]:
    """The provider's other public listings, newest first, for the listing page's provider card."""
    return db.session.scalars(
        select(ServiceListing)
        .join(MarketplaceUser, ServiceListing.provider_user_id == MarketplaceUser.id)
        .where(
            ServiceListing.provider_user_id == listing.provider_user_id,
            ServiceListing.id != listing.id,
            publicly_visible(),
        )
        .order_by(ServiceListing.published_at.desc().nulls_last(), ServiceListing.id.desc())
        .limit(OTHER_LISTINGS_SHOWN)
    ).all()


def listing_for_owner_or_404(listing_id: int, user: MarketplaceUser) -> ServiceListing:
    """The seller's own listing; anyone else's (or a missing one) is a 404."""
    return db.first_or_404(
        select(ServiceListing).where(
            ServiceListing.id == listing_id, ServiceListing.provider_user_id == user.id
        )
    )


def lock_listing_for_owner_or_404(listing_id: int, user: MarketplaceUser) -> ServiceListing:
    """As listing_for_owner_or_404, holding the row's lock until commit: photo changes to one listing queue
    here, so two uploads at once cannot pass the photo limit together."""
    return db.first_or_404(
        select(ServiceListing)
        .where(ServiceListing.id == listing_id, ServiceListing.provider_user_id == user.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def owned_listing_counts(user: MarketplaceUser) -> dict[str, int]:
    """How many of the seller's listings are in each status."""
    return dict(
        db.session.execute(
            select(ServiceListing.status, func.count())
            .where(ServiceListing.provider_user_id == user.id)
            .group_by(ServiceListing.status)
        ).all()
    )


def owned_listings(user: MarketplaceUser, status: str | None) -> Sequence[ServiceListing]:
    query = select(ServiceListing).where(ServiceListing.provider_user_id == user.id)
    if status:
        query = query.where(ServiceListing.status == status)
    return db.session.scalars(
        query.order_by(ServiceListing.updated_at.desc(), ServiceListing.id.desc())
    ).all()
