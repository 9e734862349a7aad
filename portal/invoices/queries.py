"""Every portal query of invoices and payments. Each one is narrowed to the contact's own party in SQL.

Tenant and soft-delete criteria are added centrally (models.scoping); the party criterion lives here, once,
in `_shown_to`, and drafts are never shown to clients.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import abort
from sqlalchemy import ColumnElement, Integer, Select, and_, bindparam, case, func, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db
from models import Contact, Invoice, InvoiceStatus, Payment
from models.billing import MONEY_RECEIVED
from models.scoping import prebuilt
from models.types import utcnow
from portal.invoices.cursors import CursorScope
from portal.invoices.forms import InvoiceFilter
from portal.invoices.keyset import NO_TIME, Keyset, Page, PageStart, keyset_page


def _is_overdue(now: datetime) -> ColumnElement[bool]:
    """Overdue is derived, never stored: open, money still owed, and past the due date."""
    return and_(Invoice.owing_criterion(), Invoice.due_at < now)


def _filter_criterion(name: InvoiceFilter, now: datetime) -> ColumnElement[bool] | None:
    return {
        "all": None,
        "open": Invoice.is_open,
        "overdue": _is_overdue(now),
        "paid": Invoice.status == InvoiceStatus.PAID,
        "void": Invoice.status == InvoiceStatus.VOID,
    }[name]


def _shown_to(contact: Contact) -> ColumnElement[bool]:
    """The one ownership rule: the contact's party's invoices, never drafts. The tenant is the request's,
    bound from the URL before the view runs (portal.tenancy) and added to every query by models.scoping."""
    return Invoice.shown_to_party(contact.party_id)


def _visible_invoices(contact: Contact) -> Select[tuple[Invoice]]:
    return select(Invoice).where(_shown_to(contact))


# One invoice of the contact's party with what its page shows; built once, the party and the id bound per request.
_INVOICE_PAGE = prebuilt(
    select(Invoice)
    .where(
        Invoice.shown_to_party(bindparam("party_id", type_=Integer)),
        Invoice.id == bindparam("invoice_id", type_=Integer),
    )
    .options(
        # An invoice's lines are few: joined to it, one row each. Payments come in a second statement
        # (_INVOICE_PAYMENTS), so lines and payments never multiply each other's rows.
        joinedload(Invoice.line_items),
        joinedload(Invoice.marketplace_transaction),  # the badge's link to the listing
        joinedload(Invoice.client_party),  # "Billed to": in this statement, not a lazy load of its own
    )
)
# That invoice's payments with their few refunds joined, as Invoice.payments orders them. A statement of its own,
# built once: a selectinload builds its statement (and the scoped copy's cache key) again on every request.
_INVOICE_PAYMENTS = prebuilt(
    select(Payment)
    .where(Payment.invoice_id == bindparam("invoice_id", type_=Integer))
    .options(joinedload(Payment.refunds))
    .order_by(Payment.paid_at)
)


def invoice_for_contact_or_404(contact: Contact, invoice_id: int) -> Invoice:
    """`invoice_id` comes from the URL, where app.security.DatabaseIdConverter keeps it within INTEGER."""
    parameters = {"party_id": contact.party_id, "invoice_id": invoice_id}
    invoice = db.session.execute(_INVOICE_PAGE, parameters).unique().scalar_one_or_none()
    if invoice is None:
        abort(404)
    payments = db.session.execute(_INVOICE_PAYMENTS, {"invoice_id": invoice.id}).unique().scalars().all()
    set_committed_value(invoice, "payments", list(payments))
    return invoice


def receipt_for_contact_or_404(contact: Contact, invoice_id: int, payment_id: int) -> Payment:
    """A payment whose money arrived, on one of the contact's visible invoices, with what its receipt shows;
    anyone else's (or one that never arrived) is a 404."""
    return db.one_or_404(
        select(Payment)
        .join(Invoice, Payment.invoice_id == Invoice.id)
        .where(
            _shown_to(contact),
            Invoice.id == invoice_id,
            Payment.id == payment_id,
            Payment.status.in_(MONEY_RECEIVED),
        )
        .options(
            selectinload(Payment.refunds),
            joinedload(Payment.invoice).joinedload(Invoice.client_party),
        )
    )


@dataclass
class CurrencyTotals:
    currency: str
    due_cents: int
    overdue_cents: int


@dataclass
class InvoiceSummary:
    """How many invoices are open and overdue, and what is owed per currency (never added across currencies)."""

    open_count: int = 0
    overdue_count: int = 0
    totals: list[CurrencyTotals] = field(default_factory=list)

    def count_for(self, name: InvoiceFilter) -> int | None:
        return {"open": self.open_count, "overdue": self.overdue_count}.get(name)


def invoice_summary(contact: Contact, now: datetime | None = None) -> InvoiceSummary:
    """Reads only open invoices (few, for a real client), through Invoice_clientPartyId_status_idx."""
    overdue = _is_overdue(now or utcnow())
    statement = (
        _visible_invoices(contact)
        .where(Invoice.is_open)
        .with_only_columns(
            Invoice.currency,
            func.count(),
            func.count().filter(overdue),
            func.coalesce(func.sum(Invoice.balance_cents).filter(Invoice.balance_cents > 0), 0),
            func.coalesce(func.sum(Invoice.balance_cents).filter(overdue), 0),
        )
        .group_by(Invoice.currency)
        .order_by(Invoice.currency)
    )
    summary = InvoiceSummary()
    for currency, n_open, n_overdue, due, overdue_cents in db.session.execute(statement):
        summary.open_count += n_open
        summary.overdue_count += n_overdue
        if due:
            summary.totals.append(CurrencyTotals(currency, int(due), int(overdue_cents)))
    return summary


INVOICES_NEWEST_FIRST: Keyset[Invoice] = Keyset(
    Invoice.created_at, Invoice.id, key_of=lambda invoice: (invoice.created_at, invoice.id)
)
PAYMENTS_NEWEST_FIRST: Keyset[tuple[Payment, Invoice]] = Keyset(
    # CASE, as in Payment_tenantId_paidAt_idx (revision 0023, which says why not COALESCE).
    case((Payment.paid_at.is_(None), NO_TIME), else_=Payment.paid_at),
    Payment.id,
    key_of=lambda row: (row[0].paid_at, row[0].id),
)


def invoice_page(
    contact: Contact,
    name: InvoiceFilter,
    start: PageStart,
    size: int,
    scope: CursorScope,
    now: datetime | None = None,
) -> Page[Invoice]:
    """One page of the contact's invoices, newest first: a range of Invoice_clientPartyId_createdAt_idx
    (clientPartyId, createdAt DESC, id DESC), from the cursor on."""
    statement = _visible_invoices(contact)
    criterion = _filter_criterion(name, now or utcnow())
    if criterion is not None:
        statement = statement.where(criterion)
    return keyset_page(statement, INVOICES_NEWEST_FIRST, start, size, scope)


def payment_page(
    contact: Contact, start: PageStart, size: int, scope: CursorScope
) -> Page[tuple[Payment, Invoice]]:
    """Every payment on the contact's visible invoices, newest first (not yet paid last), with its invoice."""
    statement = (
        select(Payment, Invoice).join(Invoice, Payment.invoice_id == Invoice.id).where(_shown_to(contact))
    )
    return keyset_page(statement, PAYMENTS_NEWEST_FIRST, start, size, scope)
