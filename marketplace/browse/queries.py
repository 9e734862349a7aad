"""The listing browser's queries: full-text search, filters, facets and keyset pages.

Pagination is keyset (a cursor of sort key + id), not OFFSET: on 1,000,000 listings a deep OFFSET walks and
throws away every earlier row, while a cursor starts the index scan where the previous page ended.
Per page: one query for the rows, and the category counts (marketplace.browse.facets), which are the same on every
page of one set of filters.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from flask import current_app
from sqlalchemy import (
    CTE,
    REAL,
    BigInteger,
    ColumnElement,
    Double,
    RowMapping,
    Select,
    Subquery,
    Text,
    cast,
    false,
    func,
    literal,
    literal_column,
    null,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import TIMESTAMP, TSQUERY

from app.extensions import db
from marketplace.browse.broad import BroadSearch, broad_limits, broad_search
from marketplace.browse.conditions import (
    NEWEST_KEY,
    listing_conditions,
    located_conditions,
    public_listings,
    row_conditions,
)
from marketplace.browse.facets import (
    CategoryCounts,
    CountsQuery,
    capped_over_limit,
    counts_query,
    counts_slot,
    exact_count_limit,
    first_matches,
)
from marketplace.browse.forms import BrowseFilters, Cursor
from marketplace.browse.keywords import TsqueryParts, tsquery_expression, tsquery_parts
from marketplace.browse.location import Near, distance_label
from marketplace.browse.shapes import Shape, bound_by_name, shape_of
from marketplace.catalog import category_label, price_label
from marketplace.listings.photos import FIRST_CARD_PATH
from models import MarketplaceUser, ProviderStats, Rating, ServiceListing
from models.one_statement import read_in_session
from models.scoping import needs_orm_criteria, prebuilt

PAGE_SIZE = 20
EXCERPT_LENGTH = 180

# The same expressions as the partial indexes of revision 0006, so each sort order is an index walk.
SORT_KEYS: dict[str, tuple[ColumnElement[Any], bool]] = {
    "newest": (NEWEST_KEY, True),
    "price_asc": (
        func.coalesce(ServiceListing.price_cents, literal_column("'9223372036854775807'::bigint")),
        False,
    ),
    "price_desc": (func.coalesce(ServiceListing.price_cents, literal_column("'-1'::bigint")), True),
}


def _public_listings(conditions: list[ColumnElement[bool]]) -> Select[Any]:
    return public_listings(ServiceListing.__table__, conditions)


@dataclass
class ResultRow:
    id: int
    title: str
    excerpt: str
    category: str
    price_cents: int | None
    price_type: str | None
    currency: str | None
    city: str | None
    state: str | None
    tags: list[str] | None
    provider_id: int
    photo: str | None  # the first photo's card file (marketplace/listings/photos.py)
    provider_name: str
    provider_verified: bool
    provider_rating: Rating
    distance_miles: float | None  # from the buyer's ZIP, when they gave one
    cursor: Cursor

    @property
    def distance_label(self) -> str:
        return distance_label(self.distance_miles)

    # Read as attributes, not called from the template: a call from Jinja costs more than the function.
    @property
    def category_label(self) -> str:
        return category_label(self.category)

    @property
    def price_label(self) -> str:
        return price_label(self.price_cents, self.price_type, self.currency)


@dataclass
class BrowsePage:
    rows: list[ResultRow]
    category_counts: dict[str, int]
    # From the category counts, taken for the chips anyway (cached per set of filters): exact up to a limit,
    # beyond it an estimate the page calls "about N" (marketplace.browse.facets says what counting costs).
    total: int
    next_cursor: Cursor | None
    previous_cursor: Cursor | None
    first_position: int | None = None  # the first row's place in the results, when the cursor carried it
    estimated: bool = False
    ranked_among: int | None = None  # relevance ranked only N of the matches (a search with many matches)
    ranked_newest: bool = False  # ranked_among: the newest N (a broad keyword), not the first N found

    @property
    def shown_range(self) -> tuple[int, int] | None:
        """(41, 60) for "Showing 41–60 of …", or None when the page cannot say where it is (an older link, or
        listings that changed since the previous page so far that the place no longer fits the total)."""
        if not self.rows or self.first_position is None:
            return None
        last = self.first_position + len(self.rows) - 1
        return (self.first_position, last) if last <= self.total else None

    @classmethod
    def nothing(cls) -> BrowsePage:
        return cls([], {}, 0, None, None)


KEY_TYPES: dict[str, Any] = {
    "relevance": REAL,
    "newest": TIMESTAMP,
    "price_asc": BigInteger,
    "price_desc": BigInteger,
    "distance": Double,
}


@dataclass(frozen=True)
class PageStatement:
    """The page's one statement and what reading its rows needs: built for one shape of filters (which of them
    are set, the keyword's form, the cursor's sort and direction, the state of the cached counts)."""

    statement: Select[Any]
    counting: CountsQuery | None  # the counts ride in the statement (they were not cached)
    ranks_candidates: bool  # relevance ranks a candidate set, not every match
    broad: BroadSearch | None
    # It reads a table the ORM's criteria would filter (models.scoping.needs_orm_criteria).
    needs_orm: bool = True


def browse(filters: BrowseFilters) -> BrowsePage:
    backwards = filters.before is not None
    cursor = filters.before if backwards else filters.after
    slot = counts_slot(filters)
    cached = CategoryCounts.unpacked(slot.counts) if slot.counts is not None else None
    built, values = page_statement(filters, None if cached is None else cached.estimated)
    if built.counting is None:
        listing_rows = _run(built, values)
        counted = cached or CategoryCounts({}, estimated=False)
    else:
        result = _run(built, values)
        listing_rows = [row for row in result if row["id"] is not None]
        counted = built.counting.tally(
            json.loads(result[0]["category_counts"] or "[]"), bool(result[0]["broad"])
        )
        slot.fill(counted.packed())
    counts = counted.by_category

    has_more = len(listing_rows) > PAGE_SIZE
    listing_rows = listing_rows[:PAGE_SIZE]
    if backwards:
        listing_rows.reverse()
    rows = [
        ResultRow(
            id=row["id"],
            title=row["title"],
            excerpt=_excerpt(row["excerpt"]),
            category=row["category"],
            price_cents=row["price_cents"],
            price_type=row["price_type"],
            currency=row["currency"],
            city=row["city"],
            state=row["state"],
            tags=row["tags"],
            provider_id=row["provider_user_id"],
            photo=row["photo"],
            provider_name=row["provider_name"],
            provider_verified=bool(row["provider_verified"]),
            provider_rating=Rating.of(row["review_count"], row["rating_sum"]),
            distance_miles=row["distance"],
            cursor=Cursor(filters.sort, row["sort_text"], row["id"]),
        )
        for row in listing_rows
    ]
    total = counts.get(filters.category, 0) if filters.category else sum(counts.values())
    first = _first_position(cursor, backwards, has_more, len(rows))
    if backwards:
        next_cursor = rows[-1].cursor if rows else None
        previous_cursor = rows[0].cursor if rows and has_more else None
    else:
        next_cursor = rows[-1].cursor if rows and has_more else None
        previous_cursor = rows[0].cursor if rows and cursor is not None else None
    if first is not None and next_cursor is not None:
        next_cursor = replace(next_cursor, position=first + len(rows) - 1)
    if first is not None and previous_cursor is not None:
        previous_cursor = replace(previous_cursor, position=first)
    return BrowsePage(
        rows,
        counts,
        total,
        next_cursor,
        previous_cursor,
        first,
        estimated=counted.estimated,
        ranked_among=_ranked_among(built.broad, counted) if built.ranks_candidates else None,
        ranked_newest=built.ranks_candidates and counted.broad,
    )


def _run(built: PageStatement, values: dict[str, Any]) -> Sequence[RowMapping]:
    """The page's rows, as mappings: a Row's attribute first fails as an attribute (an AttributeError made and
    dropped) before it finds the column, twenty columns of twenty rows a page; a mapping's key goes straight to it.

    The statement reads no soft-deleted or tenant-owned table (checked once per shape), so the ORM's criteria
    would add nothing: it runs without the ORM's execution layer (about a twentieth of the page's CPU), and, when
    it is the request's first, without a transaction block (models.one_statement.read_in_session)."""
    session = db.session()
    if built.needs_orm or session.new or session.dirty or session.deleted:
        # The ORM would also flush pending changes first; the page makes none, but should a caller have some,
        # it takes the ORM's way.
        return session.execute(built.statement, values).mappings().all()
    return read_in_session(session, built.statement, values)


def page_statement(
    filters: BrowseFilters, counts_estimated: bool | None
) -> tuple[PageStatement, dict[str, Any]]:
    """The page's statement, built once per shape of filters (marketplace.browse.shapes), and the values to run
    it with."""
    parts = tsquery_parts(filters.q)
    shape, values = shape_of(filters, parts)
    return _built_for_shape(shape, counts_estimated, _limits()), values


def _limits() -> tuple[Any, ...]:
    """The settings a built statement holds, so a changed setting gets a statement of its own."""
    return (exact_count_limit(), current_app.config.get("LISTING_COUNT_SAMPLE_PERCENT"), broad_limits())


@lru_cache(maxsize=512)
def _built_for_shape(shape: Shape, counts_estimated: bool | None, _limits: tuple[Any, ...]) -> PageStatement:
    built = _build(shape.placeholder_filters(), shape.placeholder_parts(), counts_estimated)
    statement = prebuilt(bound_by_name(built.statement))
    return replace(built, statement=statement, needs_orm=needs_orm_criteria(statement))


def _build(
    filters: BrowseFilters, parts: TsqueryParts | None, counts_estimated: bool | None
) -> PageStatement:
    """The page's statement for these filters. `counts_estimated`: None when the counts are not cached (they are
    counted in this statement), else whether the cached ones are estimates."""
    tsquery = cast(tsquery_expression(parts), TSQUERY) if parts is not None else None
    near = filters.near
    if filters.sort == "relevance" and tsquery is not None:
        sort_key: ColumnElement[Any] = func.ts_rank(ServiceListing.search_vector, tsquery)
        descending = True
    elif filters.sort == "distance" and near is not None:
        sort_key, descending = near.distance_to(ServiceListing.latitude, ServiceListing.longitude), False
    else:
        sort_key, descending = SORT_KEYS["newest" if filters.sort == "relevance" else filters.sort]

    backwards = filters.before is not None
    cursor = filters.before if backwards else filters.after
    walk_descending = descending != backwards
    # Exactly counted matches are few enough to rank them all; otherwise the keyword may be broad.
    broad = broad_search(filters, tsquery) if tsquery is not None and counts_estimated is not False else None
    # Uncached counts are taken in the page's own statement (one round trip).
    counting = counts_query(filters, tsquery, broad) if counts_estimated is None else None
    # Ranking every match of a keyword with many matches is what cost 200 ms: rank the newest matches of a broad
    # keyword, and past the exact-count limit the matches the capped count read (marketplace.browse.broad).
    candidates = None
    if filters.sort == "relevance" and broad is not None:
        capped = (
            counting.first_matches
            if counting is not None
            else first_matches(filters, tsquery, broad).cte("capped")
        )
        candidates = _ranked_candidates(filters, tsquery, broad, capped)
    page_ids = _page_ids(filters, tsquery, sort_key, candidates, cursor, walk_descending)

    listed = (
        select(
            ServiceListing.id,
            ServiceListing.title,
            func.left(ServiceListing.description, EXCERPT_LENGTH + 1).label("excerpt"),
            ServiceListing.category,
            ServiceListing.price_cents,
            ServiceListing.price_type,
            ServiceListing.currency,
            ServiceListing.city,
            ServiceListing.state,
            ServiceListing.tags,
            ServiceListing.provider_user_id,
            FIRST_CARD_PATH.label("photo"),
            MarketplaceUser.display_name.label("provider_name"),
            func.coalesce(MarketplaceUser.tenant_verified, False).label("provider_verified"),
            # The provider's rating: two counters the database keeps (ProviderStats), one primary-key probe
            # per row of the page, in this same statement.
            ProviderStats.review_count,
            ProviderStats.rating_sum,
            page_ids.c.sort_key,
            page_ids.c.sort_text,
            (
                near.distance_to(ServiceListing.latitude, ServiceListing.longitude)
                if near is not None
                else null()
            ).label("distance"),
        )
        .join(page_ids, page_ids.c.id == ServiceListing.id)
        .join(MarketplaceUser, ServiceListing.provider_user_id == MarketplaceUser.id)
        .outerjoin(ProviderStats, ProviderStats.provider_user_id == ServiceListing.provider_user_id)
    )
    if counting is None:
        statement = listed.order_by(*_in_order(page_ids.c, walk_descending))
    else:
        statement = _with_counts(listed.subquery("listed"), counting, walk_descending)
    return PageStatement(statement, counting, candidates is not None, broad)


def _ranked_among(broad: BroadSearch | None, counted: CategoryCounts) -> int | None:
    if counted.broad and broad is not None:
        return broad.limits.candidates
    return exact_count_limit() if counted.estimated else None


def _ranked_candidates(filters: BrowseFilters, tsquery: Any, broad: BroadSearch, capped: CTE) -> CTE:
    """The matches to rank, each with its rank, in the visitor's category if they chose one: a broad keyword's
    newest matches (the walk's); else, past the exact-count limit, the first exact_count_limit() capped matches
    (in their order, which is the table's); else every match. Each branch is a one-time filter, so only one of
    them runs, and ts_rank runs on its rows only."""
    over_limit = capped_over_limit(capped)
    walked = broad.walked
    newest = select(
        walked.c.id, walked.c.category, func.ts_rank(walked.c.search_vector, tsquery).label("sort_key")
    ).where(broad.is_broad)
    first = select(capped).limit(exact_count_limit()).subquery("first")
    first_found = select(
        first.c.id, first.c.category, func.ts_rank(first.c.search_vector, tsquery).label("sort_key")
    ).where(over_limit)
    every_match = (
        _public_listings(listing_conditions(filters, tsquery, with_category=True))
        .add_columns(
            ServiceListing.id,
            ServiceListing.category,
            func.ts_rank(ServiceListing.search_vector, tsquery).label("sort_key"),
        )
        .where(~over_limit, ~broad.is_broad)
    )
    if filters.category:
        newest = newest.where(walked.c.category == filters.category)
        first_found = first_found.where(first.c.category == filters.category)
    return newest.union_all(first_found, every_match).cte("candidates")


def _with_counts(listed: Subquery, counting: CountsQuery, descending: bool) -> Select[Any]:
    """The page's rows, the counting rows (sampled, category, count) and whether the keyword was broad, in one
    statement: the latter two as columns on every row, and on a single row of NULLs when the page is empty."""
    counted = counting.rows.subquery("counted")
    is_broad = counting.broad.is_broad if counting.broad is not None else false()
    # As text: the driver would decode the same JSON again on every row of the page.
    facet_counts = select(
        cast(func.json_agg(func.json_build_array(*counted.c)), Text).label("category_counts"),
        is_broad.label("broad"),
    ).subquery("facet_counts")
    return (
        select(facet_counts.c.category_counts, facet_counts.c.broad, listed)
        .select_from(facet_counts.outerjoin(listed, true()))
        .order_by(*_in_order(listed.c, descending))
    )


def _first_position(cursor: Cursor | None, backwards: bool, has_more: bool, shown: int) -> int | None:
    """Where this page starts: 1 without a cursor or when "Previous" reached the start, right after the row a
    "Next" cursor names, or right before the row a "Previous" cursor names, counted back by the rows shown."""
    if cursor is None or (backwards and not has_more):
        return 1
    if cursor.position is None:
        return None
    return max(1, cursor.position - shown) if backwards else cursor.position + 1


def _in_order(columns: Any, descending: bool) -> tuple[ColumnElement[Any], ...]:
    """By sort key, then id, for keyset pages."""
    return _ordered(columns.sort_key, columns.id, descending)


def _page_ids(
    filters: BrowseFilters,
    tsquery: Any,
    sort_key: ColumnElement[Any],
    matches: CTE | None,
    cursor: Cursor | None,
    descending: bool,
) -> Subquery:
    """Ids and sort keys of this page (plus one, to know whether there is a next), from the listings or from
    the ranked candidates of a broad search."""
    if matches is None and filters.sort == "distance" and tsquery is None and filters.near is not None:
        return _nearest_page_ids(filters, filters.near, cursor, descending)
    if matches is None:
        page_query = _public_listings(listing_conditions(filters, tsquery, with_category=True)).add_columns(
            ServiceListing.id.label("id"), sort_key.label("sort_key")
        )
        key, listing_id = sort_key, ServiceListing.id
    else:
        page_query = select(matches.c.id, matches.c.sort_key)
        if filters.category:
            page_query = page_query.where(matches.c.category == filters.category)
        key, listing_id = matches.c.sort_key, matches.c.id
    page_query = page_query.add_columns(cast(key, Text).label("sort_text"))
    if cursor is not None:
        page_query = page_query.where(_beyond(cursor, key, listing_id, descending))
    return page_query.order_by(*_ordered(key, listing_id, descending)).limit(PAGE_SIZE + 1).subquery("page")


def _nearest_page_ids(
    filters: BrowseFilters, near: Near, cursor: Cursor | None, descending: bool
) -> Subquery:
    """Nearest first, from ServiceListing_location_price_idx alone (box, category, price and provider are in the
    index: no table row): each listing in the box with its distance, computed once, and those within the radius
    in order of distance. Then, only for a filter the index lacks (the state, the price type), each one's table
    row in that order until the page is full. A single scan read the table row of every listing in the box
    before sorting them (9,740 heap blocks for 50 miles around Dallas at 1,000,000 listings); this reads about
    one per listing shown. Without such a filter the sort keeps only the page's rows (a top-N heapsort, not a
    sort of every listing in the radius)."""
    in_box = (
        _public_listings(located_conditions(filters, with_category=True, box_only=True))
        .add_columns(
            ServiceListing.id.label("id"),
            near.distance_to(ServiceListing.latitude, ServiceListing.longitude).label("sort_key"),
            ServiceListing.service_area_miles,
        )
        # OFFSET 0 keeps this a subquery of its own: merged into the outer query, the distance would be
        # computed twice per listing in the box, once for the radius and once for the order.
        .offset(0)
        .subquery("in_box")
    )
    distance = in_box.c.sort_key
    nearest = select(in_box.c.id, distance).where(*near.reaches(distance, in_box.c))
    if cursor is not None:
        nearest = nearest.where(_beyond(cursor, distance, in_box.c.id, descending))
    row = ServiceListing.__table__.alias("listing_row")
    on_row = row_conditions(filters, None, listings=row.c)
    if not on_row:
        return (
            nearest.add_columns(cast(distance, Text).label("sort_text"))
            .order_by(*_ordered(distance, in_box.c.id, descending))
            .limit(PAGE_SIZE + 1)
            .subquery("page")
        )
    # The ORDER BY keeps the subquery whole, so the outer walk reads it already sorted and stops at the LIMIT.
    ordered = nearest.order_by(*_ordered(distance, in_box.c.id, descending)).subquery("nearest")
    return (
        select(ordered.c.id, ordered.c.sort_key, cast(ordered.c.sort_key, Text).label("sort_text"))
        .join(row, row.c.id == ordered.c.id)
        .where(*on_row)
        .order_by(*_in_order(ordered.c, descending))
        .limit(PAGE_SIZE + 1)
        .subquery("page")
    )


def _beyond(cursor: Cursor, key: Any, listing_id: Any, descending: bool) -> ColumnElement[bool]:
    """Rows after the cursor in the walk's direction."""
    here = tuple_(key, listing_id)
    there = tuple_(cast(literal(cursor.key), KEY_TYPES[cursor.sort]), literal(cursor.listing_id))
    return here < there if descending else here > there


def _ordered(key: Any, listing_id: Any, descending: bool) -> tuple[ColumnElement[Any], ...]:
    return (key.desc(), listing_id.desc()) if descending else (key, listing_id)


def _excerpt(text: str | None) -> str:
    text = " ".join((text or "").split())
    if len(text) <= EXCERPT_LENGTH:
        return text
    return text[:EXCERPT_LENGTH].rsplit(" ", 1)[0] + "…"
