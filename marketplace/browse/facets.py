"""Result counts per category for the listing browser: exact for the visitor's filters, one SQL statement.

Measured with EXPLAIN (ANALYZE, BUFFERS) on 1,000,000 listings, with the script bench/marketplace.py, which
`make bench` replaced in commit 95bf70b (data at that size now: `flask seed-scale`; page timings under load:
docs/performance.md):
- Joining every listing to its provider made PostgreSQL read the whole table (a parallel seq scan, ~640 ms).
- With nothing filtered, the counts come from an index-only scan of the spec's ServiceListing_active_idx
  (small: btree deduplication folds its 940,000 entries into a few hundred keys), minus the active listings of
  the few providers not in good standing, reached through their own index (~90 ms).
- With a state, price type or price, an index-only scan of the matching range of ServiceListing_facets_idx
  (revision 0008), anti-joined to the small set of providers not in good standing (state TX: 12 ms).
- With a keyword the GIN bitmap scan visits each matching row anyway; the same anti-join rides along. When
  these counts are not cached, marketplace.browse.queries takes them in the same statement as the page's rows.
The counts do not depend on the page, so they are cached per set of filters (marketplace.browse.facet_cache).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    any_,
    cast,
    exists,
    func,
    literal,
    select,
    union_all,
)

from app.extensions import db
from marketplace.browse import facet_cache
from marketplace.browse.conditions import listing_conditions
from marketplace.browse.facet_cache import Counts, CountsSlot
from marketplace.browse.forms import BrowseFilters
from models import MarketplaceUser, ServiceListing


def counts_slot(filters: BrowseFilters) -> CountsSlot:
    """Cached counts for everything the visitor chose except the category itself and the page."""
    near = filters.near
    location = (near.zip_code, near.radius_miles, near.travel) if near is not None else None
    return facet_cache.counts_slot(
        (filters.q, filters.state, filters.price_type, filters.min_cents, filters.max_cents, location)
    )


def category_counts(filters: BrowseFilters, tsquery: Any) -> Counts:
    """Matches per category for everything the visitor chose except the category itself: one statement."""
    conditions = listing_conditions(filters, tsquery, with_category=False)
    nothing_filtered = tsquery is None and not (
        filters.state
        or filters.price_type
        or filters.min_cents is not None
        or filters.max_cents is not None
        or filters.near is not None
    )
    query = _all_minus_not_in_good_standing(conditions) if nothing_filtered else _in_good_standing(conditions)
    return {category: int(count) for category, count in db.session.execute(query).all() if count > 0}


def _in_good_standing(conditions: list[ColumnElement[bool]]) -> Select[Any]:
    from_provider_not_in_good_standing = (
        exists()
        .where(MarketplaceUser.id == ServiceListing.provider_user_id, MarketplaceUser.not_in_good_standing)
        .correlate(ServiceListing)
    )
    return (
        select(ServiceListing.category, func.count())
        .where(*conditions, ~from_provider_not_in_good_standing)
        .group_by(ServiceListing.category)
    )


def _all_minus_not_in_good_standing(conditions: list[ColumnElement[bool]]) -> Select[Any]:
    every_match = select(ServiceListing.category, func.count().label("matches")).where(*conditions)
    # An array, not a join: given a join, the planner reads all of ServiceListing_facets_idx to hash it.
    provider_ids = cast(
        select(func.array_agg(MarketplaceUser.id))
        .where(MarketplaceUser.not_in_good_standing)
        .scalar_subquery(),
        ARRAY(Integer),
    )
    of_providers_not_in_good_standing = select(
        ServiceListing.category, (literal(0) - func.count()).label("matches")
    ).where(ServiceListing.provider_user_id == any_(provider_ids), *conditions)
    both = union_all(
        every_match.group_by(ServiceListing.category),
        of_providers_not_in_good_standing.group_by(ServiceListing.category),
    ).subquery("counted")
    return select(both.c.category, cast(func.sum(both.c.matches), BigInteger)).group_by(both.c.category)
