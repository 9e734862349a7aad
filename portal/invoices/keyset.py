"""Keyset pages of the portal's newest-first lists (invoices, payments).

A page continues past the row its cursor names (its key and id, in ORDER BY key DESC, id DESC), so the database
starts an index range where the last page ended instead of reading and throwing away every earlier row, as
OFFSET did: on a 94,000-invoice history the last page's statement cost 28 times the first's, and now about the
same (docs/performance.md, "Portal keyset pages"). "Newer" walks the same index the other way from the first row shown.

How many rows there are in all is still counted in the page's own statement, up to COUNT_CAP: that reads at most
COUNT_CAP + 1 index entries whatever the depth, so it costs the first page and the last alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, ScalarSelect, Select, and_, func, literal, literal_column, or_, select

from app.extensions import db
from portal.invoices.cursors import Cursor, CursorScope

T = TypeVar("T")

# Counting stops here: a client with more is told "more than 1,000", so no page ever counts a long history.
COUNT_CAP = 1_000
# Where a row without a timestamp sorts (last, newest first): what the payments' index holds for it.
NO_TIME = literal_column("'-infinity'::timestamp")


@dataclass(frozen=True)
class PageStart:
    """What the request asked for: the newest page, the page after a cursor's row, or (backwards) the page
    before it; `refused` when it brought a cursor that is not one of this list's."""

    cursor: Cursor | None = None
    backwards: bool = False
    refused: bool = False


@dataclass(frozen=True)
class Keyset(Generic[T]):
    """A newest-first order in which no two rows tie: a timestamp that is never NULL in SQL (missing ones are
    NO_TIME), then the id. `key_of` reads a listed item's timestamp and id, for the cursors."""

    sort_key: ColumnElement[datetime]
    row_id: ColumnElement[int]
    key_of: Callable[[T], tuple[datetime | None, int]]

    def order(self, newest_first: bool) -> tuple[ColumnElement[Any], ...]:
        if newest_first:
            return self.sort_key.desc(), self.row_id.desc()
        return self.sort_key.asc(), self.row_id.asc()

    def past(self, cursor: Cursor, older: bool) -> ColumnElement[bool]:
        """The rows after the cursor's row in newest-first order (older), or before it. Written as
        `key <= :at AND (key < :at OR id < :id)`, not as the row comparison `(key, id) < (:at, :id)`: PostgreSQL
        makes a row comparison an index condition on plain columns only, and the payments' key is an expression
        (a CASE), while `key <= :at` starts the index range on either, leaving only ties on :at to filter."""
        at = NO_TIME if cursor.at is None else literal(cursor.at, type_=self.sort_key.type)
        if older:
            return and_(self.sort_key <= at, or_(self.sort_key < at, self.row_id < cursor.row_id))
        return and_(self.sort_key >= at, or_(self.sort_key > at, self.row_id > cursor.row_id))

    def cursor(self, item: T, position: int) -> Cursor:
        at, row_id = self.key_of(item)
        return Cursor(at, row_id, position)


@dataclass
class Page(Generic[T]):
    """One page of a newest-first list, where it stands in the list, and the cursors of its Newer and Older
    links (signed for the list's scope when the template asks for them)."""

    items: list[T]
    first_position: int
    size: int
    scope: CursorScope
    has_previous: bool
    newer: Cursor | None = None  # the first row shown, when there are newer rows
    older: Cursor | None = None  # the last row shown, when there are older rows
    total: int | None = None  # counted up to COUNT_CAP; None when the page is empty
    cursor_refused: bool = False

    @property
    def has_next(self) -> bool:
        return self.older is not None

    @property
    def number(self) -> int:
        return (self.first_position - 1) // self.size + 1

    @property
    def last_position(self) -> int:
        return self.first_position + len(self.items) - 1

    @property
    def newer_token(self) -> str | None:
        return None if self.newer is None else self.scope.sign(self.newer)

    @property
    def older_token(self) -> str | None:
        return None if self.older is None else self.scope.sign(self.older)

    @property
    def total_is_capped(self) -> bool:
        return self.total is not None and self.total > COUNT_CAP

    @property
    def count_cap(self) -> int:
        return COUNT_CAP


def _capped_count(statement: Select[Any]) -> ScalarSelect[int]:
    """How many rows `statement` finds, reading at most COUNT_CAP + 1 of them, as a column of the page's own
    statement."""
    found = statement.with_only_columns(literal(1)).order_by(None).limit(COUNT_CAP + 1).subquery("counted")
    return select(func.count()).select_from(found).scalar_subquery()


def _rows(
    base: Select[Any], keyset: Keyset[Any], where: list[ColumnElement[bool]], newest_first: bool, size: int
) -> tuple[list[Any], int | None]:
    """Up to size + 1 rows (the extra one says whether more follow), each with the list's capped count."""
    width = len(base.column_descriptions)
    rows = db.session.execute(
        base.where(*where)
        .add_columns(_capped_count(base).label("total"))
        .order_by(*keyset.order(newest_first))
        .limit(size + 1)
    ).all()
    items = [row[0] if width == 1 else tuple(row[:width]) for row in rows]
    return items, (rows[0].total if rows else None)


def keyset_page(
    base: Select[Any], keyset: Keyset[T], start: PageStart, size: int, scope: CursorScope
) -> Page[T]:
    """The page `start` asks for of `base` (the list's rows, filtered, not ordered), in the keyset's order."""
    cursor = start.cursor
    if cursor is not None and start.backwards:
        newer, total = _rows(base, keyset, [keyset.past(cursor, older=False)], newest_first=False, size=size)
        if len(newer) >= size:
            more = len(newer) > size
            # Positions are as the reader met them on the way down; rows added since must not make a page
            # with newer ones before it claim to be the first.
            first = max(size + 1, cursor.position - size) if more else 1
            return _page(newer[:size][::-1], first, size, scope, keyset, more, older=True, total=total)
        cursor = None  # fewer than a page is newer now (rows went away): the newest page is where to land
    where = [] if cursor is None else [keyset.past(cursor, older=True)]
    rows, total = _rows(base, keyset, where, newest_first=True, size=size)
    first = 1 if cursor is None else cursor.position + 1
    page = _page(rows[:size], first, size, scope, keyset, cursor is not None, len(rows) > size, total)
    page.cursor_refused = start.refused
    return page


def _page(
    items: list[T],
    first: int,
    size: int,
    scope: CursorScope,
    keyset: Keyset[T],
    newer: bool,
    older: bool,
    total: int | None,
) -> Page[T]:
    return Page(
        items,
        first,
        size,
        scope,
        has_previous=newer,
        newer=keyset.cursor(items[0], first) if newer and items else None,
        older=keyset.cursor(items[-1], first + len(items) - 1) if older and items else None,
        total=total,
    )
