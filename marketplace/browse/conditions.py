"""SQL conditions shared by the listing browser's row query and its category counts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, FromClause, Select, exists, func, literal_column, select

from marketplace.browse.forms import BrowseFilters
from models import ListingStatus, MarketplaceUser, ServiceListing

# The expression of ServiceListing_listed_at_idx (revision 0006), so newest first is an index walk.
NEWEST_KEY: ColumnElement[Any] = func.coalesce(
    ServiceListing.published_at,
    ServiceListing.created_at,
    literal_column("'-infinity'::timestamp"),
)


def listing_conditions(
    filters: BrowseFilters, tsquery: Any, *, with_category: bool, listings: Any = ServiceListing
) -> list[ColumnElement[bool]]:
    """What the visitor asked for, on ServiceListing alone (the provider's standing is the caller's join:
    MarketplaceUser.in_good_standing, or its complement not_in_good_standing). `listings`: the columns to test,
    ServiceListing's own or those of a subquery or sample of it (`.c`), built directly rather than adapted."""
    return located_conditions(filters, with_category=with_category, listings=listings) + row_conditions(
        filters, tsquery, listings=listings
    )


def located_conditions(
    filters: BrowseFilters, *, with_category: bool, listings: Any = ServiceListing, box_only: bool = False
) -> list[ColumnElement[bool]]:
    """The part of listing_conditions that ServiceListing_location_price_idx answers by itself (an index-only
    scan): active, the category, the price and the buyer's location (`box_only`: its bounding box alone, for a
    caller that tests the distance itself)."""
    conditions = [listings.status == ListingStatus.ACTIVE]
    if with_category and filters.category:
        conditions.append(listings.category == filters.category)
    if filters.min_cents is not None:
        conditions.append(listings.price_cents >= filters.min_cents)
    if filters.max_cents is not None:
        conditions.append(listings.price_cents <= filters.max_cents)
    if filters.near is not None:
        near = filters.near
        conditions.extend(near.in_box(listings) if box_only else near.conditions(listings))
    return conditions


def row_conditions(
    filters: BrowseFilters, tsquery: Any, *, listings: Any = ServiceListing
) -> list[ColumnElement[bool]]:
    """The rest of listing_conditions, which need the table's row: the keyword, the state and the price type."""
    conditions = []
    if tsquery is not None:
        conditions.append(listings.search_vector.op("@@")(tsquery))
    if filters.state:
        conditions.append(listings.state == filters.state)
    if filters.price_type:
        conditions.append(listings.price_type == filters.price_type)
    return conditions


def public_listings(listings: FromClause, conditions: list[ColumnElement[bool]]) -> Select[Any]:
    """Listings meeting `conditions` whose provider is in good standing."""
    # NOT EXISTS over the few providers not in good standing (MarketplaceUser_not_in_good_standing_idx, revision
    # 0024): the planner reads that small set once, where a join to every provider would read all of them.
    from_provider_not_in_good_standing = (
        exists()
        .where(MarketplaceUser.id == listings.c.provider_user_id, MarketplaceUser.not_in_good_standing)
        .correlate(listings)
    )
    return select().select_from(listings).where(*conditions, ~from_provider_not_in_good_standing)
