"""Result counts per category for the listing browser: exact for the visitor's filters, one SQL statement.

Measured with EXPLAIN (ANALYZE, BUFFERS) on 1,000,000 listings (bench/marketplace.py):
- Without a keyword, joining every listing to its provider made PostgreSQL read the whole table (a parallel seq
  scan, ~640 ms). Few providers are ever suspended, so the counts are taken from an index-only scan over active
  listings (ServiceListing_active_idx when nothing is filtered, ServiceListing_facets_idx of revision 0008 for
  state, price type and price), minus the active listings of the few providers not in good standing, reached
  through their own index.
- With a keyword the GIN bitmap scan has to visit each matching row anyway, so the provider check rides along
  as an anti-join against the small set of providers not in good standing.
- On a keyword search whose counts are not cached, the row query counts as it goes (marketplace.search), so
  the matches are read once for both.
The counts do not depend on the page, so they are cached per set of filters (marketplace.facet_cache).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Select, cast, exists, func, literal, select, union_all

from app.extensions import db
from marketplace import facet_cache
from marketplace.browse_filters import BrowseFilters
from marketplace.facet_cache import Counts, CountsSlot
from marketplace.listing_query import listing_conditions, provider_not_in_good_standing
from models import MarketplaceUser, ServiceListing


def counts_slot(filters: BrowseFilters) -> CountsSlot:
    """Cached counts for everything the visitor chose except the category itself and the page."""
    return facet_cache.counts_slot(
        (filters.q, filters.state, filters.price_type, filters.min_cents, filters.max_cents)
    )


def category_counts(filters: BrowseFilters, tsquery: Any) -> Counts:
    """Matches per category for everything the visitor chose except the category itself: one statement."""
    conditions = listing_conditions(filters, tsquery, with_category=False)
    query = _keyword_counts(conditions) if tsquery is not None else _indexed_counts(conditions)
    return {category: int(count) for category, count in db.session.execute(query).all() if count > 0}


def _keyword_counts(conditions: list[ColumnElement[bool]]) -> Select[Any]:
    from_provider_not_in_good_standing = (
        exists()
        .where(MarketplaceUser.id == ServiceListing.provider_user_id, provider_not_in_good_standing())
        .correlate(ServiceListing)
    )
    return (
        select(ServiceListing.category, func.count())
        .where(*conditions, ~from_provider_not_in_good_standing)
        .group_by(ServiceListing.category)
    )


def _indexed_counts(conditions: list[ColumnElement[bool]]) -> Select[Any]:
    every_match = select(ServiceListing.category, func.count().label("matches")).where(*conditions)
    of_providers_not_in_good_standing = (
        select(ServiceListing.category, (literal(0) - func.count()).label("matches"))
        .join(MarketplaceUser, MarketplaceUser.id == ServiceListing.provider_user_id)
        .where(provider_not_in_good_standing(), *conditions)
    )
    both = union_all(
        every_match.group_by(ServiceListing.category),
        of_providers_not_in_good_standing.group_by(ServiceListing.category),
    ).subquery("counted")
    return select(both.c.category, cast(func.sum(both.c.matches), BigInteger)).group_by(both.c.category)
