"""SQL conditions shared by the listing browser's row query and its category counts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_

from marketplace.browse.forms import BrowseFilters
from models import ListingStatus, MarketplaceUser, ServiceListing, UserStatus


def provider_in_good_standing() -> ColumnElement[bool]:
    return or_(MarketplaceUser.status.is_(None), MarketplaceUser.status == UserStatus.ACTIVE)


def provider_not_in_good_standing() -> ColumnElement[bool]:
    """Exactly the complement of provider_in_good_standing: a NULL status compares as unknown, so it stays out."""
    return MarketplaceUser.status != UserStatus.ACTIVE


def listing_conditions(
    filters: BrowseFilters, tsquery: Any, *, with_category: bool
) -> list[ColumnElement[bool]]:
    """What the visitor asked for, on ServiceListing alone (the provider's standing is the caller's join)."""
    conditions = [ServiceListing.status == ListingStatus.ACTIVE]
    if tsquery is not None:
        conditions.append(ServiceListing.search_vector.op("@@")(tsquery))
    if with_category and filters.category:
        conditions.append(ServiceListing.category == filters.category)
    if filters.state:
        conditions.append(ServiceListing.state == filters.state)
    if filters.price_type:
        conditions.append(ServiceListing.price_type == filters.price_type)
    if filters.min_cents is not None:
        conditions.append(ServiceListing.price_cents >= filters.min_cents)
    if filters.max_cents is not None:
        conditions.append(ServiceListing.price_cents <= filters.max_cents)
    return conditions
