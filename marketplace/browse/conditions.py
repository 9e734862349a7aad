"""SQL conditions shared by the listing browser's row query and its category counts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement

from marketplace.browse.forms import BrowseFilters
from models import ListingStatus, ServiceListing


def listing_conditions(
    filters: BrowseFilters, tsquery: Any, *, with_category: bool
) -> list[ColumnElement[bool]]:
    """What the visitor asked for, on ServiceListing alone (the provider's standing is the caller's join:
    MarketplaceUser.in_good_standing, or its complement not_in_good_standing)."""
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
    if filters.near is not None:
        conditions.extend(filters.near.conditions())
    return conditions
