"""What a visitor asked the listing browser for, read from the query string and corrected, never trusted.

Unknown values are dropped, a min price above the max is swapped, an over-long query is cut; each correction
leaves a note so the page can say what it applied instead.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from werkzeug.datastructures import MultiDict

from app.money import BIGINT_MAX, MoneyError, format_money, parse_dollars
from marketplace.browse.location import LocationInput, Near, parse_location
from marketplace.catalog import CATEGORIES, PRICE_TYPES, US_STATES
from models.types import INT4_MAX

MAX_QUERY_LENGTH = 200
SORTS: dict[str, str] = {
    "relevance": "Best match",
    "newest": "Newest",
    "price_asc": "Price: low to high",
    "price_desc": "Price: high to low",
    "distance": "Nearest first",
}
# The form's "Sort by" list: best match is its blank choice, the order a search gets by itself.
SORT_CHOICES = {key: label for key, label in SORTS.items() if key != "relevance"}


@dataclass(frozen=True)
class Cursor:
    """A position in one sort order: the sort key of a row and its id (keyset pagination), and where that row
    stood in the results (1 for the first), so the next page can say "Showing 21–40" without counting the rows
    before it. A cursor without a position (an older link) still pages; the page then gives no range."""

    sort: str
    key: str  # PostgreSQL's text form of the sort key; cast back to its type in the query
    listing_id: int
    position: int | None = None

    def encode(self) -> str:
        fields = [self.sort, self.key, self.listing_id]
        if self.position is not None:
            fields.append(self.position)
        raw = json.dumps(fields, separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str | None, sort: str) -> Cursor | None:
        if not token or len(token) > 200:
            return None
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            cursor_sort, key, listing_id, *rest = json.loads(raw)
        except (ValueError, TypeError):
            return None
        if cursor_sort != sort or not _is_int_in(listing_id, 0, INT4_MAX):
            return None
        if not isinstance(key, str) or len(key) > 40 or not _key_is_valid(sort, key):
            return None
        position = rest[0] if len(rest) == 1 and _is_int_in(rest[0], 1, INT4_MAX) else None
        return cls(sort, key, listing_id, position)


def _is_int_in(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


# The text forms PostgreSQL gives the sort keys (cast(key AS text)). A forged cursor is checked against these
# exact shapes, not against what Python would parse: Python reads "1_000", "١٢", "1e39" and ISO week dates,
# which the casts in the query would refuse.
KEY_SHAPES = {
    "relevance": re.compile(r"\d{1,20}(\.\d{1,20})?(e[-+]?\d{1,2})?", re.ASCII),
    "newest": re.compile(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2}(\.\d{1,6})?)?|-?infinity", re.ASCII),
    "price_asc": re.compile(r"-?\d{1,19}", re.ASCII),
    "price_desc": re.compile(r"-?\d{1,19}", re.ASCII),
    "distance": re.compile(r"\d{1,20}(\.\d{1,20})?(e[-+]?\d{1,2})?", re.ASCII),
}
REAL_RANGE = (1e-37, 1e37)  # inside PostgreSQL's REAL, away from its overflow and underflow limits
MAX_DISTANCE_MILES = 12_500  # half the earth's circumference: no two points are farther apart


def _key_is_valid(sort: str, key: str) -> bool:
    shape = KEY_SHAPES.get(sort)
    if shape is None or not shape.fullmatch(key):
        return False
    try:
        if sort == "relevance":
            value = float(key)
            return value == 0 or REAL_RANGE[0] <= value <= REAL_RANGE[1]
        if sort == "distance":
            return 0 <= float(key) <= MAX_DISTANCE_MILES
        if sort == "newest":
            return "infinity" in key or bool(datetime.fromisoformat(key))
        return abs(int(key)) <= BIGINT_MAX
    except ValueError:  # a date that does not exist, like 2024-02-30
        return False


@dataclass
class BrowseFilters:
    q: str = ""
    category: str | None = None
    state: str | None = None
    min_cents: int | None = None
    max_cents: int | None = None
    price_type: str | None = None
    sort: str = "newest"
    near: Near | None = None
    location: LocationInput = field(default_factory=LocationInput)
    after: Cursor | None = None
    before: Cursor | None = None
    notes: list[str] = field(default_factory=list)

    def query_args(self, **overrides: Any) -> dict[str, str]:
        """The applied filters as URL parameters (without a cursor unless given)."""
        args = {
            "q": self.q,
            "category": self.category or "",
            "state": self.state or "",
            "min_price": _dollars(self.min_cents),
            "max_price": _dollars(self.max_cents),
            "price_type": self.price_type or "",
            "near": self.location.near,
            "within": self.location.within,
            "travel": "1" if self.location.travel and self.location.near else "",
            "sort": self.sort_param,
        }
        args.update(overrides)
        return {key: value for key, value in args.items() if value}

    @property
    def sort_param(self) -> str:
        """Empty for the default order, so typing a query switches to relevance by itself."""
        return "" if self.sort == default_sort(self.q, self.near) else self.sort

    @property
    def active_count(self) -> int:
        """How many filters are set, for the folded form's "Filters (n)"."""
        location = self.location
        return sum(
            1
            for value in (
                self.category,
                self.state,
                self.price_type,
                location.near,
                location.travel,
                self.min_cents is not None,
                self.max_cents is not None,
                self.sort_param,
            )
            if value
        )

    @property
    def min_price(self) -> str:
        return _dollars(self.min_cents)

    @property
    def max_price(self) -> str:
        return _dollars(self.max_cents)


def _dollars(cents: int | None) -> str:
    if cents is None:
        return ""
    whole, rest = divmod(cents, 100)
    return f"{whole}.{rest:02d}" if rest else str(whole)


def default_sort(q: str, near: Near | None = None) -> str:
    """Nearest first when the buyer gave a location, best match when they typed words, else newest."""
    if near is not None:
        return "distance"
    return "relevance" if q else "newest"


def _price(args: Mapping[str, str], name: str, label: str, notes: list[str]) -> int | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return parse_dollars(raw[:40])
    except MoneyError:
        notes.append(f"The {label} price “{raw[:40]}” is not an amount in dollars, so it was ignored.")
        return None


def parse_filters(query: MultiDict) -> BrowseFilters:
    # Each parameter's first value, as MultiDict.get gives, from a plain dict: MultiDict.get answers a missing
    # parameter (most of them, on most pages) by raising and catching an HTTP exception.
    args = query.to_dict()
    notes: list[str] = []
    q = " ".join("".join(char for char in args.get("q") or "" if char.isprintable()).split())
    if len(q) > MAX_QUERY_LENGTH:
        q = q[:MAX_QUERY_LENGTH].rstrip()
        notes.append(f"Your search was shortened to its first {MAX_QUERY_LENGTH} characters.")

    category = args.get("category") or None
    if category and category not in CATEGORIES:
        notes.append("That category does not exist, so all categories are shown.")
        category = None
    state = (args.get("state") or "").strip().upper() or None
    if state and state not in US_STATES:
        notes.append("That state is not a US state, so all states are shown.")
        state = None
    price_type = args.get("price_type") or None
    if price_type and price_type not in PRICE_TYPES:
        notes.append("That price type does not exist, so all price types are shown.")
        price_type = None

    min_cents = _price(args, "min_price", "minimum", notes)
    max_cents = _price(args, "max_price", "maximum", notes)
    if min_cents is not None and max_cents is not None and min_cents > max_cents:
        min_cents, max_cents = max_cents, min_cents
        notes.append(
            f"The minimum price was above the maximum, so they were swapped: "
            f"{format_money(min_cents)} to {format_money(max_cents)}."
        )

    near, location = parse_location(query)
    sort = args.get("sort") or default_sort(q, near)
    if sort == "distance" and near is None and not location.errors:
        notes.append("Enter a ZIP code to sort by distance.")
    if sort not in SORTS or (sort == "relevance" and not q) or (sort == "distance" and near is None):
        sort = default_sort(q, near)
    return BrowseFilters(
        q=q,
        category=category,
        state=state,
        min_cents=min_cents,
        max_cents=max_cents,
        price_type=price_type,
        sort=sort,
        near=near,
        location=location,
        after=Cursor.decode(args.get("after"), sort),
        before=Cursor.decode(args.get("before"), sort),
        notes=notes,
    )
