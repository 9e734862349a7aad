"""The listing browser's queries: full-text search, filters, facets and keyset pages.

Pagination is keyset (a cursor of sort key + id), not OFFSET: on 1,000,000 listings a deep OFFSET walks and
throws away every earlier row, while a cursor starts the index scan where the previous page ended.
Per page: one query for the rows, and the category counts (marketplace.facets), which are the same on every
page of one set of filters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    REAL,
    BigInteger,
    ColumnElement,
    Select,
    Text,
    cast,
    func,
    literal,
    literal_column,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import TIMESTAMP, TSQUERY

from app.extensions import db
from marketplace.browse_filters import BrowseFilters, Cursor
from marketplace.facets import category_counts
from marketplace.listing_query import listing_conditions, provider_in_good_standing
from models import MarketplaceUser, ServiceListing

PAGE_SIZE = 20
TEXT_CONFIG = "english"
EXCERPT_LENGTH = 180
WORD_RE = re.compile(r"[^\W_]+")

# The same expressions as the partial indexes of revision 0006, so each sort order is an index walk.
SORT_KEYS: dict[str, tuple[ColumnElement[Any], bool]] = {
    "newest": (
        func.coalesce(
            ServiceListing.published_at,
            ServiceListing.created_at,
            literal_column("'-infinity'::timestamp"),
        ),
        True,
    ),
    "price_asc": (
        func.coalesce(ServiceListing.price_cents, literal_column("'9223372036854775807'::bigint")),
        False,
    ),
    "price_desc": (func.coalesce(ServiceListing.price_cents, literal_column("'-1'::bigint")), True),
}


def _websearch(text: str) -> ColumnElement[Any]:
    return func.websearch_to_tsquery(TEXT_CONFIG, text)


def build_tsquery(q: str) -> ColumnElement[Any] | None:
    """websearch_to_tsquery syntax ("phrases", or, -exclude), with the last word matched as a prefix while
    the visitor is still typing it. The prefix part is built only from letters and digits, so no input can
    make to_tsquery raise."""
    q = q.strip()
    if not q:
        return None
    head, _, last = q.rpartition(" ")
    if last.startswith("-") or '"' in last or last.lower() == "or" or q.count('"') % 2:
        return _websearch(q)
    lexemes = WORD_RE.findall(last.lower())
    if not lexemes:
        return _websearch(q)
    prefix = func.to_tsquery(TEXT_CONFIG, " & ".join(f"{lexeme}:*" for lexeme in lexemes))
    head = head.strip()
    if not head:
        return prefix
    if head.lower() == "or" or head.lower().endswith(" or"):
        earlier = head[:-2].strip()
        return _websearch(earlier).op("||")(prefix) if earlier else prefix
    return _websearch(head).op("&&")(prefix)


def _public_listings(conditions: list[ColumnElement[bool]]) -> Select[Any]:
    return (
        select()
        .select_from(ServiceListing)
        .join(MarketplaceUser, ServiceListing.provider_user_id == MarketplaceUser.id)
        .where(*conditions, provider_in_good_standing())
    )


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
    provider_name: str
    provider_verified: bool
    cursor: Cursor


@dataclass
class BrowsePage:
    rows: list[ResultRow]
    category_counts: dict[str, int]
    total: int
    next_cursor: Cursor | None
    previous_cursor: Cursor | None


KEY_TYPES: dict[str, Any] = {
    "relevance": REAL,
    "newest": TIMESTAMP,
    "price_asc": BigInteger,
    "price_desc": BigInteger,
}


def browse(filters: BrowseFilters) -> BrowsePage:
    tsquery = build_tsquery(filters.q)
    if tsquery is not None:
        tsquery = cast(tsquery, TSQUERY)
    if filters.sort == "relevance" and tsquery is not None:
        sort_key: ColumnElement[Any] = func.ts_rank(ServiceListing.search_vector, tsquery)
        descending = True
    else:
        sort_key, descending = SORT_KEYS["newest" if filters.sort == "relevance" else filters.sort]

    backwards = filters.before is not None
    cursor = filters.before if backwards else filters.after
    walk_descending = descending != backwards
    page_query = _public_listings(listing_conditions(filters, tsquery, with_category=True)).add_columns(
        ServiceListing.id.label("id"), sort_key.label("sort_key"), cast(sort_key, Text).label("sort_text")
    )
    if cursor is not None:
        here = tuple_(sort_key, ServiceListing.id)
        there = tuple_(cast(literal(cursor.key), KEY_TYPES[cursor.sort]), literal(cursor.listing_id))
        page_query = page_query.where(here < there if walk_descending else here > there)
    order = (sort_key.desc(), ServiceListing.id.desc()) if walk_descending else (sort_key, ServiceListing.id)
    page_ids = page_query.order_by(*order).limit(PAGE_SIZE + 1).subquery("page")

    provider_name = func.coalesce(
        func.nullif(func.concat_ws(" ", MarketplaceUser.first_name, MarketplaceUser.last_name), ""),
        func.split_part(MarketplaceUser.email, "@", 1),
    )
    listing_rows = db.session.execute(
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
            provider_name.label("provider_name"),
            func.coalesce(MarketplaceUser.tenant_verified, False).label("provider_verified"),
            page_ids.c.sort_text,
        )
        .join(page_ids, page_ids.c.id == ServiceListing.id)
        .join(MarketplaceUser, ServiceListing.provider_user_id == MarketplaceUser.id)
        .order_by(
            *(
                (page_ids.c.sort_key.desc(), page_ids.c.id.desc())
                if walk_descending
                else (page_ids.c.sort_key, page_ids.c.id)
            )
        )
    ).all()

    has_more = len(listing_rows) > PAGE_SIZE
    listing_rows = listing_rows[:PAGE_SIZE]
    if backwards:
        listing_rows.reverse()
    rows = [
        ResultRow(
            id=row.id,
            title=row.title,
            excerpt=_excerpt(row.excerpt),
            category=row.category,
            price_cents=row.price_cents,
            price_type=row.price_type,
            currency=row.currency,
            city=row.city,
            state=row.state,
            tags=row.tags,
            provider_name=row.provider_name,
            provider_verified=bool(row.provider_verified),
            cursor=Cursor(filters.sort, row.sort_text, row.id),
        )
        for row in listing_rows
    ]
    counts = category_counts(filters, tsquery)
    total = counts.get(filters.category, 0) if filters.category else sum(counts.values())
    if backwards:
        next_cursor = rows[-1].cursor if rows else None
        previous_cursor = rows[0].cursor if rows and has_more else None
    else:
        next_cursor = rows[-1].cursor if rows and has_more else None
        previous_cursor = rows[0].cursor if rows and cursor is not None else None
    return BrowsePage(rows, counts, total, next_cursor, previous_cursor)


def _excerpt(text: str | None) -> str:
    text = " ".join((text or "").split())
    if len(text) <= EXCERPT_LENGTH:
        return text
    return text[:EXCERPT_LENGTH].rsplit(" ", 1)[0] + "…"
