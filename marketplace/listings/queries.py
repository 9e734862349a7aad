"""Listing lookups: a public listing, a provider's other public listings, and a seller's own listings."""

from __future__ import annotations

from collections.abc import Sequence

from flask import abort
from sqlalchemy import Integer, bindparam, func, select
from sqlalchemy.orm import contains_eager

from app.extensions import db
from models import ListingStatus, MarketplaceUser, ServiceListing
from models.scoping import prebuilt

OTHER_LISTINGS_SHOWN = 6


def publicly_visible():
    """Listings anyone may see: active, from an active provider. Used by every public query."""
    return (ServiceListing.status == ListingStatus.ACTIVE) & MarketplaceUser.in_good_standing


# Joined to its provider, who is loaded with it (the page shows them): one statement, built once.
_PUBLIC_LISTING = prebuilt(
    select(ServiceListing)
    .join(MarketplaceUser, ServiceListing.provider_user_id == MarketplaceUser.id)
    .where(ServiceListing.id == bindparam("listing_id", type_=Integer), publicly_visible())
    .options(contains_eager(ServiceListing.provider_user))
)


def public_listing_or_404(listing_id: int) -> ServiceListing:
    listing = db.session.execute(_PUBLIC_LISTING, {"listing_id": listing_id}).scalar()
    if listing is None:
        abort(404)
    return listing


_OTHER_PUBLIC_LISTINGS = prebuilt(
    select(ServiceListing)
    .join(MarketplaceUser, ServiceListing.provider_user_id == MarketplaceUser.id)
    .where(
        ServiceListing.provider_user_id == bindparam("provider_id", type_=Integer),
        ServiceListing.id != bindparam("listing_id", type_=Integer),
        publicly_visible(),
    )
    .order_by(ServiceListing.published_at.desc().nulls_last(), ServiceListing.id.desc())
    .limit(OTHER_LISTINGS_SHOWN)
)


def other_public_listings(listing: ServiceListing) -> Sequence[ServiceListing]:
    """The provider's other public listings, newest first, for the listing page's provider card."""
    parameters = {"provider_id": listing.provider_user_id, "listing_id": listing.id}
    return db.session.scalars(_OTHER_PUBLIC_LISTINGS, parameters).all()


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
