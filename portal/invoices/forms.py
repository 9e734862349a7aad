"""What a client may ask of the invoice and payment lists: a status filter and where a page starts, both forgiving
(an unknown filter is All; a cursor that is not the list's is the newest page)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, get_args

from portal.invoices.cursors import CursorRefused, CursorScope
from portal.invoices.keyset import PageStart

InvoiceFilter = Literal["all", "open", "overdue", "paid", "void"]
INVOICE_FILTERS: tuple[InvoiceFilter, ...] = get_args(InvoiceFilter)
FILTER_LABELS: dict[InvoiceFilter, str] = {
    "all": "All",
    "open": "Open",
    "overdue": "Overdue",
    "paid": "Paid",
    "void": "Void",
}
# Before keyset pages, lists took a page number. A link with one (`?page=3`, `?page=abc`) is sent to the newest
# page of the same list: pages were numbered from the newest, and rows added since have moved every number.
OLD_PAGE_ARG = "page"


def parse_filter(raw: str | None) -> InvoiceFilter:
    """An unknown filter shows everything rather than an error: links from old e-mails keep working."""
    return raw if raw in INVOICE_FILTERS else "all"  # type: ignore[return-value]


def page_start(args: Mapping[str, str], scope: CursorScope) -> PageStart:
    """`?after=` (Older) or `?before=` (Newer) with a cursor signed for this list; none is the newest page,
    and a cursor that is not this list's is the newest page with a note that the link no longer works."""
    for name, backwards in (("after", False), ("before", True)):
        token = args.get(name)
        if token:
            try:
                return PageStart(scope.read(token), backwards)
            except CursorRefused:
                return PageStart(refused=True)
    return PageStart()
