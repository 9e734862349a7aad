"""The listing browser's statement, built once per shape of filters and run with each request's values bound.

Building the browser's statement (a dozen CTEs and subqueries) and computing its cache key cost more Python
than the rest of the page's work for the database (docs/performance.md). What the statement looks like depends
only on which filters are set, the keyword's form, the cursor's sort and direction and the cached counts' state,
not on the values themselves. So the statement is built once per shape from placeholder values, each
placeholder is then replaced by a named bind parameter, and a request supplies its own values by name. The
placeholders never reach the database; a shape that computes SQL from its values in Python (a buyer's
location: its bounding box) is built for each request instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, bindparam
from sqlalchemy.sql import visitors

from marketplace.browse.forms import BrowseFilters, Cursor
from marketplace.browse.keywords import TsqueryParts

# Values no visitor's filter takes, so each marks exactly the places its field's value goes.
_TEXT = {
    name: f"\ue000{name}\ue000"
    for name in ("category", "state", "price_type", "q_head", "q_prefix", "cursor_key")
}
_NUMBER = {
    "min_cents": -7_000_000_000_000_000_101,
    "max_cents": -7_000_000_000_000_000_102,
    "cursor_id": -7_000_000_000_000_000_103,
}
_NAMES: dict[Any, str] = {value: f"browse_{name}" for name, value in (_TEXT | _NUMBER).items()}


@dataclass(frozen=True)
class Shape:
    sort: str
    tsquery_kind: str | None
    category: bool
    state: bool
    price_type: bool
    min_cents: bool
    max_cents: bool
    cursor_sort: str | None
    backwards: bool

    def placeholder_filters(self) -> BrowseFilters:
        cursor = (
            Cursor(self.cursor_sort, _TEXT["cursor_key"], _NUMBER["cursor_id"])
            if self.cursor_sort is not None
            else None
        )
        return BrowseFilters(
            category=_TEXT["category"] if self.category else None,
            state=_TEXT["state"] if self.state else None,
            price_type=_TEXT["price_type"] if self.price_type else None,
            min_cents=_NUMBER["min_cents"] if self.min_cents else None,
            max_cents=_NUMBER["max_cents"] if self.max_cents else None,
            sort=self.sort,
            after=cursor if not self.backwards else None,
            before=cursor if self.backwards else None,
        )

    def placeholder_parts(self) -> TsqueryParts | None:
        if self.tsquery_kind is None:
            return None
        head = _TEXT["q_head"] if self.tsquery_kind != "prefix" else None
        prefix = _TEXT["q_prefix"] if self.tsquery_kind != "web" else None
        return TsqueryParts(self.tsquery_kind, head, prefix)


def shape_of(filters: BrowseFilters, parts: TsqueryParts | None) -> tuple[Shape, dict[str, Any]]:
    """The filters' shape, and their values by bind name."""
    cursor = filters.before or filters.after
    shape = Shape(
        sort=filters.sort,
        tsquery_kind=parts.kind if parts is not None else None,
        category=bool(filters.category),
        state=bool(filters.state),
        price_type=bool(filters.price_type),
        min_cents=filters.min_cents is not None,
        max_cents=filters.max_cents is not None,
        cursor_sort=cursor.sort if cursor is not None else None,
        backwards=filters.before is not None,
    )
    given = {
        "category": filters.category or None,
        "state": filters.state or None,
        "price_type": filters.price_type or None,
        "min_cents": filters.min_cents,
        "max_cents": filters.max_cents,
        "q_head": parts.head if parts is not None else None,
        "q_prefix": parts.prefix if parts is not None else None,
        "cursor_key": cursor.key if cursor is not None else None,
        "cursor_id": cursor.listing_id if cursor is not None else None,
    }
    return shape, {f"browse_{name}": value for name, value in given.items() if value is not None}


def is_placeholder(value: Any) -> bool:
    return isinstance(value, (str, int)) and not isinstance(value, bool) and value in _NAMES


def bound_by_name(statement: Any) -> Any:
    """The statement with every placeholder value replaced by its named bind parameter."""

    def named(element: Any) -> Any:
        if isinstance(element, BindParameter) and not element.callable and is_placeholder(element.value):
            return bindparam(_NAMES[element.value], type_=element.type)
        return None

    return visitors.replacement_traverse(statement, {}, named)
