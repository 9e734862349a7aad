"""The listing browser's statement, built once per shape of filters and run with each request's values bound.

Building the browser's statement (a dozen CTEs and subqueries) and computing its cache key cost more Python
than the rest of the page's work for the database (docs/performance.md). What the statement looks like depends
only on which filters are set, the keyword's form, the cursor's sort and direction and the cached counts' state,
not on the values themselves. So the statement is built once per shape from placeholder values, each
placeholder is then replaced by a named bind parameter, and a request supplies its own values by name. The
placeholders never reach the database. A buyer's location is part of the shape too: whether there is one, how
many longitude ranges its bounding box has (two where it wraps the 180th meridian) and "travel to me"; the
centroid, the radius and the box's edges are bound by name like the other values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, bindparam
from sqlalchemy.sql import visitors

from marketplace.browse.forms import BrowseFilters, Cursor
from marketplace.browse.keywords import TsqueryParts
from marketplace.browse.location import Near

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
# Far outside any latitude, longitude or radius, and apart from each other.
_FLOAT = {
    name: -9.0e300 - number * 1.0e297
    for number, name in enumerate(
        (
            "near_latitude",
            "near_longitude",
            "radius_miles",
            "south",
            "north",
            "west_1",
            "east_1",
            "west_2",
            "east_2",
        ),
        start=1,
    )
}
_NAMES: dict[Any, str] = {value: f"browse_{name}" for name, value in (_TEXT | _NUMBER | _FLOAT).items()}


@dataclass(frozen=True)
class _PlaceholderNear(Near):
    """A location whose every value, the bounding box's edges too, is a placeholder."""

    longitude_ranges: int = 1

    def box(self) -> tuple[tuple[float, float], list[tuple[float, float]]]:
        ranges = range(1, self.longitude_ranges + 1)
        return (
            (_FLOAT["south"], _FLOAT["north"]),
            [(_FLOAT[f"west_{number}"], _FLOAT[f"east_{number}"]) for number in ranges],
        )


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
    longitude_ranges: int = 0  # of the buyer's bounding box; 0: no location
    travel: bool = False

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
            near=self._placeholder_near(),
        )

    def _placeholder_near(self) -> Near | None:
        if not self.longitude_ranges:
            return None
        return _PlaceholderNear(
            zip_code="",
            place="",
            latitude=_FLOAT["near_latitude"],
            longitude=_FLOAT["near_longitude"],
            radius_miles=_FLOAT["radius_miles"],  # type: ignore[arg-type]  # compared as a double in SQL
            travel=self.travel,
            longitude_ranges=self.longitude_ranges,
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
    near = filters.near
    (south, north), longitudes = near.box() if near is not None else ((None, None), [])
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
        longitude_ranges=len(longitudes),
        travel=near is not None and near.travel,
    )
    given: dict[str, Any] = {
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
    if near is not None:
        given |= {
            "near_latitude": near.latitude,
            "near_longitude": near.longitude,
            "radius_miles": float(near.radius_miles),
            "south": south,
            "north": north,
        }
        for number, (west, east) in enumerate(longitudes, start=1):
            given |= {f"west_{number}": west, f"east_{number}": east}
    return shape, {f"browse_{name}": value for name, value in given.items() if value is not None}


def is_placeholder(value: Any) -> bool:
    return isinstance(value, (str, int, float)) and not isinstance(value, bool) and value in _NAMES


def bound_by_name(statement: Any) -> Any:
    """The statement with every placeholder value replaced by its named bind parameter."""

    def named(element: Any) -> Any:
        if isinstance(element, BindParameter) and not element.callable and is_placeholder(element.value):
            return bindparam(_NAMES[element.value], type_=element.type)
        return None

    return visitors.replacement_traverse(statement, {}, named)
