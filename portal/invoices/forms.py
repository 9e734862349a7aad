"""What a client may ask of the invoice and payment lists: a status filter and a page number, both forgiving."""

from __future__ import annotations

from typing import Literal, get_args

InvoiceFilter = Literal["all", "open", "overdue", "paid", "void"]
INVOICE_FILTERS: tuple[InvoiceFilter, ...] = get_args(InvoiceFilter)
FILTER_LABELS: dict[InvoiceFilter, str] = {
    "all": "All",
    "open": "Open",
    "overdue": "Overdue",
    "paid": "Paid",
    "void": "Void",
}
MAX_PAGE = 1_000_000


def parse_filter(raw: str | None) -> InvoiceFilter:
    """An unknown filter shows everything rather than an error: links from old e-mails keep working."""
    return raw if raw in INVOICE_FILTERS else "all"  # type: ignore[return-value]


def page_number(raw: str | None) -> int:
    try:
        requested = int(raw or 1)
    except ValueError:
        return 1
    return min(max(requested, 1), MAX_PAGE)
