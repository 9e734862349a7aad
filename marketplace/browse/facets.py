"""Result counts per category for the listing browser: exact up to a limit, estimated beyond it.

An exact count of a broad set costs a read of every row in it: at 1,000,000 listings, the front page's counts
took 70-190 ms and a broad keyword's ("golden retriever", ~78,000 matches) most of a 200 ms page, however the
indexes were arranged (the category and the provider's standing are needed for each match). So:
- the statement counts the visitor's matches up to LISTING_EXACT_COUNT_LIMIT + 1 (2,000 by default): at or below
  the limit these are the exact counts, and the page says "12 listings";
- only when there are more does the same statement's second part run (a one-time filter, not a second round
  trip; the counts ride in the page's own statement, marketplace.browse.queries): the same conditions over a
  block sample of the table (TABLESAMPLE SYSTEM, LISTING_COUNT_SAMPLE_PERCENT, 1% by default, REPEATABLE so every page of one search shows the same figures), scaled up and rounded to two
  significant figures, never below what the capped count already saw. The page then says "about 78,000".
docs/performance.md ("Search and filtered browse at 1,000,000 listings") has the measurements.
The counts do not depend on the page, so they are cached per set of filters (marketplace.browse.facet_cache).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import (
    CTE,
    Boolean,
    ColumnElement,
    Select,
    false,
    func,
    literal,
    select,
    tablesample,
)

from marketplace.browse import facet_cache
from marketplace.browse.broad import BroadSearch
from marketplace.browse.conditions import listing_conditions, public_listings
from marketplace.browse.facet_cache import Counts, CountsSlot
from marketplace.browse.forms import BrowseFilters
from models import ServiceListing

EXACT_COUNT_LIMIT = 2_000
SAMPLE_PERCENT = 1.0
# Stored beside the categories in the cache entry; no category key can look like them.
ESTIMATED_MARK = "~estimated"
BROAD_MARK = "~broad"


@dataclass(frozen=True)
class CategoryCounts:
    by_category: Counts
    estimated: bool  # True: "about N", from a sample; False: exact
    broad: bool = False  # a broad keyword (marketplace.browse.broad): relevance ranks the newest matches

    def packed(self) -> Counts:
        return {**self.by_category, ESTIMATED_MARK: int(self.estimated), BROAD_MARK: int(self.broad)}

    @classmethod
    def unpacked(cls, counts: Counts) -> CategoryCounts:
        by_category = dict(counts)
        estimated = bool(by_category.pop(ESTIMATED_MARK, 0))
        broad = bool(by_category.pop(BROAD_MARK, 0))
        return cls(by_category, estimated, broad)


def counts_slot(filters: BrowseFilters) -> CountsSlot:
    """Cached counts for everything the visitor chose except the category itself and the page."""
    near = filters.near
    location = (near.zip_code, near.radius_miles, near.travel) if near is not None else None
    return facet_cache.counts_slot(
        (filters.q, filters.state, filters.price_type, filters.min_cents, filters.max_cents, location)
    )


@dataclass
class CountsQuery:
    """The counting part of the page's statement: rows of (sampled, category, count), and whether there were
    more matches than the exact limit (for a relevance ranking to choose its candidates in the same statement)."""

    rows: Select[Any]
    capped_over_limit: ColumnElement[bool]  # more capped matches than the exact limit (never, when broad)
    first_matches: (
        CTE  # the capped rows (id, category, search_vector): a search with many matches ranks these
    )
    broad: BroadSearch | None
    limit: int
    percent: float

    def tally(self, rows: list[Any], broad: bool) -> CategoryCounts:
        exact: Counts = {}
        seen: Counts = {}
        for is_sample, category, count in rows:
            (seen if is_sample else exact)[category] = int(count)
        scale = 100.0 / self.percent
        if broad and self.broad is not None:
            # No exact count ran; the walk found this many, so there are at least as many.
            return CategoryCounts(_scaled({}, seen, scale, self.broad.limits.candidates), True, broad=True)
        if sum(exact.values()) <= self.limit:
            return CategoryCounts(exact, estimated=False)
        return CategoryCounts(_scaled(exact, seen, scale, self.limit + 1), estimated=True)


def exact_count_limit() -> int:
    return int(current_app.config.get("LISTING_EXACT_COUNT_LIMIT", EXACT_COUNT_LIMIT))


def first_matches(filters: BrowseFilters, tsquery: Any, broad: BroadSearch | None) -> Select[Any]:
    """The first exact_count_limit() + 1 matches in the order the planner reads them (a bitmap scan's: the
    table's), for everything the visitor chose except the category: the rows counted exactly, and the
    candidates a search with more matches ranks (the same statement, so the same rows from page to page).
    None when the search is broad: then the GIN index is not read at all."""
    listings = ServiceListing.__table__
    capped = public_listings(listings, listing_conditions(filters, tsquery, with_category=False))
    if broad is not None:
        capped = capped.where(~broad.is_broad)
    if tsquery is None:
        # Only counted, never ranked: the category alone keeps ServiceListing_facets_idx an index-only scan.
        return capped.add_columns(listings.c.category).limit(exact_count_limit() + 1)
    return capped.add_columns(listings.c.id, listings.c.category, listings.c.search_vector).limit(
        exact_count_limit() + 1
    )


def capped_over_limit(capped: CTE) -> ColumnElement[bool]:
    return select(func.count()).select_from(capped).scalar_subquery() > exact_count_limit()


def counts_query(filters: BrowseFilters, tsquery: Any, broad: BroadSearch | None) -> CountsQuery:
    """Matches per category for everything the visitor chose except the category itself."""
    limit = exact_count_limit()
    percent = float(current_app.config.get("LISTING_COUNT_SAMPLE_PERCENT", SAMPLE_PERCENT))
    listings = ServiceListing.__table__
    capped = first_matches(filters, tsquery, broad).cte("capped")
    counted = select(literal(False, Boolean).label("sampled"), capped.c.category, func.count()).group_by(
        capped.c.category
    )
    over_limit = capped_over_limit(capped)
    estimate = over_limit | (broad.is_broad if broad is not None else false())
    sample = tablesample(listings, func.system(percent), name="sampled", seed=literal(0))
    sampled = (
        public_listings(sample, listing_conditions(filters, tsquery, with_category=False, listings=sample.c))
        .add_columns(literal(True, Boolean), sample.c.category, func.count())
        .where(estimate)
        .group_by(sample.c.category)
    )
    return CountsQuery(counted.union_all(sampled), over_limit, capped, broad, limit, percent)


def _scaled(exact: Counts, seen: Counts, scale: float, at_least: int) -> Counts:
    """The sample's counts scaled up, never below the capped count's (a sure lower bound), in total at least
    `at_least` (the capped count found that many), rounded to two significant figures."""
    estimates = {
        category: max(exact.get(category, 0), seen.get(category, 0) * scale) for category in exact | seen
    }
    total = sum(estimates.values())
    if total < at_least:
        estimates = {category: count * at_least / total for category, count in estimates.items()}
    return {category: round_estimate(count) for category, count in estimates.items() if count > 0}


def round_estimate(count: float) -> int:
    """78,412 -> 78,000; 1,351 -> 1,400; 87 -> 87: no more precision than a sample has."""
    whole = round(count)
    if whole < 100:
        return max(whole, 1)
    digits = len(str(whole)) - 2
    return int(round(whole, -digits))
