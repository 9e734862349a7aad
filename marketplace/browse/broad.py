"""Broad keyword searches at scale: rank the newest matches, found by walking the newest-first index.

A GIN bitmap scan builds the whole match set before it returns a single row. For "golden retriever" at 1,000,000
listings (78,000 matches) that step alone took 40 ms, before any heap read or ranking (docs/performance.md, "Search
and filtered browse at 1,000,000 listings"). When a keyword matches a large share of the listings, its newest
matches are found far sooner by reading listings newest first (ServiceListing_listed_at_idx) and testing each:
- a probe reads the newest `probe_rows` active listings and counts the visitor's matches among them;
- only when enough matched for the walk to promise `candidates` matches within `walk_rows` listings does the walk
  run: it reads at most `walk_rows` listings newest first and keeps the first `candidates` matches;
- the search is broad only when the walk found that many. Then those matches are what relevance ranks, the
  counts are the sample's "about N", and the GIN index is not read at all. A narrow keyword, or a filter the
  recent listings rarely meet, takes the GIN path as before (marketplace.browse.facets).
Every step is a one-time filter of the page's own statement, so nothing runs that the answer does not need, and
the walk's cost is bounded by `walk_rows` whatever the keyword.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import CTE, ColumnElement, Select, Subquery, func, select

from marketplace.browse.conditions import NEWEST_KEY, listing_conditions, public_listings
from marketplace.browse.forms import BrowseFilters
from models import ListingStatus, ServiceListing

CANDIDATES = 500
WALK_ROWS = 10_000
PROBE_ROWS = 1_000


@dataclass(frozen=True)
class BroadLimits:
    candidates: int
    walk_rows: int
    probe_rows: int

    @property
    def probe_hits(self) -> int:
        """Matches among the probe's rows that promise `candidates` within `walk_rows` at the same rate."""
        return max(1, math.ceil(self.candidates * self.probe_rows / self.walk_rows))


def broad_limits() -> BroadLimits:
    config = current_app.config
    return BroadLimits(
        int(config.get("LISTING_BROAD_SEARCH_CANDIDATES", CANDIDATES)),
        int(config.get("LISTING_BROAD_SEARCH_WALK_ROWS", WALK_ROWS)),
        int(config.get("LISTING_BROAD_SEARCH_PROBE_ROWS", PROBE_ROWS)),
    )


@dataclass(frozen=True)
class BroadSearch:
    walked: CTE  # (id, category, search_vector): the newest matches, none unless the probe promised enough
    is_broad: ColumnElement[bool]  # the walk found `limits.candidates` matches
    limits: BroadLimits


def broad_search(filters: BrowseFilters, tsquery: Any) -> BroadSearch:
    """The probe and the walk for everything the visitor chose except the category (the chips count every
    category from the same candidates)."""
    limits = broad_limits()
    _, probe = _newest_matches(filters, tsquery, limits.probe_rows)
    probe_hits = probe.with_only_columns(func.count()).scalar_subquery()
    newest, walk = _newest_matches(filters, tsquery, limits.walk_rows)
    walked = (
        walk.add_columns(newest.c.id, newest.c.category, newest.c.search_vector)
        .where(probe_hits >= limits.probe_hits)
        .limit(limits.candidates)
        .cte("walked")
    )
    found = select(func.count()).select_from(walked).scalar_subquery()
    return BroadSearch(walked, found >= limits.candidates, limits)


def _newest_matches(filters: BrowseFilters, tsquery: Any, rows: int) -> tuple[Subquery, Select[Any]]:
    """The newest `rows` active listings, and the visitor's matches among them. The inner LIMIT makes the plan an
    index walk newest first that stops after `rows` listings, whatever the planner guesses of the keyword."""
    newest = _newest_listings(rows)
    conditions = listing_conditions(filters, tsquery, with_category=False, listings=newest.c)
    return newest, public_listings(newest, conditions)


# What the visitor's conditions (marketplace.browse.conditions), the provider's standing and the walk's output read.
WALKED_COLUMNS = (
    "id",
    "status",
    "category",
    "search_vector",
    "provider_user_id",
    "state",
    "price_type",
    "price_cents",
    "latitude",
    "longitude",
    "service_area_miles",
)


def _newest_listings(rows: int) -> Subquery:
    listings = ServiceListing.__table__
    return (
        select(*(listings.c[name] for name in WALKED_COLUMNS))
        .where(listings.c.status == ListingStatus.ACTIVE)
        .order_by(NEWEST_KEY.desc(), listings.c.id.desc())
        .limit(rows)
        .subquery("newest")
    )
