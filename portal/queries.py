"""Every portal query of invoices and payments. Each one is narrowed to the contact's own party in SQL.

Tenant and soft-delete criteria are added centrally (models.scoping); the party criterion lives here, once,
in `_visible_invoices`, and drafts are never shown to clients.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, Literal, TypeVar, get_args

from flask import abort
from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from models import Contact, Invoice, Payment
from models.types import utcnow

InvoiceFilter = Literal["all", "open", "overdue", "paid", "void"]
INVOICE_FILTERS: tuple[InvoiceFilter, ...] = get_args(InvoiceFilter)
VISIBLE_STATUSES = ("issued", "partially_paid", "paid", "void")
OPEN_STATUSES = ("issued", "partially_paid")
T = TypeVar("T")
INT4_MAX = 2_147_483_647


def parse_filter(raw: str | None) -> InvoiceFilter:
    return raw if raw in INVOICE_FILTERS else "all"  # type: ignore[return-value]


def _is_open() -> ColumnElement[bool]:
    return Invoice.status.in_(OPEN_STATUSES)


def _is_overdue(now: datetime) -> ColumnElement[bool]:
    """Overdue is derived, never stored: open, money still owed, and past the due date."""
    return and_(_is_open(), Invoice.balance_cents > 0, Invoice.due_at < now)


def _filter_criterion(name: InvoiceFilter, now: datetime) -> ColumnElement[bool] | None:
    return {
        "all": None,
        "open": _is_open(),
        "overdue": _is_overdue(now),
        "paid": Invoice.status == "paid",
        "void": Invoice.status == "void",
    }[name]


def _shown_to(contact: Contact) -> ColumnElement[bool]:
    """The one ownership rule: the contact's party's invoices in the contact's tenant, never drafts."""
    return and_(
        Invoice.client_party_id == contact.party_id,
        Invoice.tenant_id == contact.tenant_id,
        Invoice.status.in_(VISIBLE_STATUSES),
    )


def _visible_invoices(contact: Contact) -> Select[tuple[Invoice]]:
    return select(Invoice).where(_shown_to(contact))


def invoice_for_contact_or_404(contact: Contact, invoice_id: int) -> Invoice:
    if not 0 < invoice_id <= INT4_MAX:  # a guessed id past INTEGER is simply not there, not a database error
        abort(404)
    return db.one_or_404(
        _visible_invoices(contact)
        .where(Invoice.id == invoice_id)
        .options(selectinload(Invoice.line_items), selectinload(Invoice.payments))
    )


@dataclass
class CurrencyTotals:
    currency: str
    due_cents: int
    overdue_cents: int


@dataclass
class InvoiceSummary:
    """Counts for each filter tab, and what is owed, per currency (amounts are never added across currencies)."""

    counts: dict[InvoiceFilter, int] = field(default_factory=lambda: dict.fromkeys(INVOICE_FILTERS, 0))
    totals: list[CurrencyTotals] = field(default_factory=list)


def invoice_summary(contact: Contact, now: datetime | None = None) -> InvoiceSummary:
    now = now or utcnow()
    overdue = _is_overdue(now)
    owed = and_(_is_open(), Invoice.balance_cents > 0)
    statement = (
        _visible_invoices(contact)
        .with_only_columns(
            Invoice.currency,
            func.count(),
            func.count().filter(_is_open()),
            func.count().filter(overdue),
            func.count().filter(Invoice.status == "paid"),
            func.count().filter(Invoice.status == "void"),
            func.coalesce(func.sum(Invoice.balance_cents).filter(owed), 0),
            func.coalesce(func.sum(Invoice.balance_cents).filter(overdue), 0),
        )
        .group_by(Invoice.currency)
        .order_by(Invoice.currency)
    )
    summary = InvoiceSummary()
    for currency, n_all, n_open, n_overdue, n_paid, n_void, due, overdue_cents in db.session.execute(
        statement
    ):
        for name, count in zip(INVOICE_FILTERS, (n_all, n_open, n_overdue, n_paid, n_void), strict=True):
            summary.counts[name] += count
        if due:
            summary.totals.append(CurrencyTotals(currency, int(due), int(overdue_cents)))
    return summary


@dataclass
class Page(Generic[T]):
    items: list[T]
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def clamp_page(raw: str | None, total: int, size: int) -> int:
    try:
        requested = int(raw or 1)
    except ValueError:
        requested = 1
    last = max(1, -(-total // size))
    return min(max(requested, 1), last)


def invoice_page(
    contact: Contact, name: InvoiceFilter, page: int, size: int, total: int, now: datetime | None = None
) -> Page[Invoice]:
    """One page of the contact's invoices, newest first. `total` comes from invoice_summary (no extra count)."""
    statement = _visible_invoices(contact)
    criterion = _filter_criterion(name, now or utcnow())
    if criterion is not None:
        statement = statement.where(criterion)
    statement = (
        statement.order_by(Invoice.created_at.desc(), Invoice.id.desc()).limit(size).offset((page - 1) * size)
    )
    return Page(list(db.session.scalars(statement)), page, size, total)


def payment_page(contact: Contact, raw_page: str | None, size: int) -> Page[tuple[Payment, Invoice]]:
    """Every payment on the contact's visible invoices, newest first, with its invoice."""
    base = select(Payment, Invoice).join(Invoice, Payment.invoice_id == Invoice.id).where(_shown_to(contact))
    total = db.session.scalar(base.with_only_columns(func.count()).order_by(None)) or 0
    page = clamp_page(raw_page, total, size)
    rows = db.session.execute(
        base.order_by(Payment.paid_at.desc().nulls_last(), Payment.id.desc())
        .limit(size)
        .offset((page - 1) * size)
    )
    return Page([(payment, invoice) for payment, invoice in rows], page, size, total)
