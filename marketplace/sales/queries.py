"""Reading sales: one breeder's sales (a keyset page, the totals, the CSV rows), a sale or party of that breeder,
and the deal cards of a conversation's messages.

A sale belongs to the breeder in provider_tenant_id ("MarketplaceTransaction" is not TenantOwned, so every query
here names the tenant itself). Party, Contact and Invoice are narrowed to the bound tenant by models.scoping.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from flask import abort
from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.orm import aliased

from app.extensions import db
from marketplace.sales.forms import SalesFilter
from models import (
    Invoice,
    MarketplaceTransaction,
    MarketplaceUser,
    Message,
    Party,
    Payment,
    PaymentRefund,
    Review,
    ServiceListing,
    TransactionStatus,
)
from models.billing import MONEY_RECEIVED

SALES_PAGE_SIZE = 25
PARTY_CHOICES_MAX = 500
CSV_BATCH_ROWS = 500

Sale = MarketplaceTransaction


# --- one sale, one party ---------------------------------------------------------------------------------------


def sale_for_tenant_or_404(sale_id: int, tenant_id: int, *, lock: bool = False) -> MarketplaceTransaction:
    """The breeder's sale; another breeder's (or a missing one) is a 404. lock=True holds its row lock until
    commit, so status moves and invoicing of one sale queue here."""
    statement = select(Sale).where(Sale.id == sale_id, Sale.provider_tenant_id == tenant_id)
    if lock:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    sale = db.session.scalars(statement).one_or_none()
    if sale is None:
        abort(404)
    return sale


def tenant_party_or_none(party_id: int) -> Party | None:
    """A party of the bound tenant (the scoping hook adds the tenant); None for anyone else's."""
    return db.session.scalars(select(Party).where(Party.id == party_id)).one_or_none()


def tenant_party_choices() -> list[tuple[int, str]]:
    """The bound tenant's parties by name, for the client list (capped: a description serves beyond it)."""
    return [
        (row.id, row.name)
        for row in db.session.execute(
            select(Party.id, Party.name).order_by(Party.name, Party.id).limit(PARTY_CHOICES_MAX)
        )
    ]


def invoice_of_sale(sale_id: int) -> Invoice | None:
    """The sale's invoice, soft-deleted ones included (they keep the sale's one invoice slot)."""
    return db.session.scalars(
        select(Invoice)
        .where(Invoice.marketplace_transaction_id == sale_id)
        .execution_options(include_deleted=True)
    ).first()


def sale_thread_id(sale_id: int) -> int | None:
    """The conversation whose deal card announces this sale, if it was recorded in one."""
    return db.session.scalar(
        select(Message.thread_id)
        .where(Message.marketplace_transaction_id == sale_id)
        .order_by(Message.id)
        .limit(1)
    )


# --- deal cards ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DealCard:
    sale_id: int
    description: str
    amount_cents: int
    currency: str
    status: str
    invoice_id: int | None
    invoice_number: str | None
    client_user_id: int | None = None  # the buyer, who may review a completed sale
    provider_user_id: int | None = None
    review_id: int | None = None
    review_hidden: bool = False  # hidden by an administrator: no longer on the provider's page


class CarriesSale(Protocol):
    """A message, as an object or as a row."""

    @property
    def marketplace_transaction_id(self) -> int | None: ...


def deal_cards(messages: Iterable[CarriesSale]) -> dict[int, DealCard]:
    """{sale id: its card} for the sales these messages carry: one query, none when no message carries one."""
    sale_ids = {m.marketplace_transaction_id for m in messages if m.marketplace_transaction_id is not None}
    if not sale_ids:
        return {}
    rows = db.session.execute(
        select(
            Sale.id,
            Sale.service_description,
            Sale.amount_cents,
            Sale.currency,
            Sale.status,
            Invoice.id.label("invoice_id"),
            Invoice.number,
            Sale.client_user_id,
            Sale.provider_user_id,
            Review.id.label("review_id"),
            Review.hidden_at.is_not(None).label("review_hidden"),
        )
        .outerjoin(Invoice, Invoice.marketplace_transaction_id == Sale.id)
        .outerjoin(Review, Review.marketplace_transaction_id == Sale.id)
        .where(Sale.id.in_(sorted(sale_ids)))
    )
    return {
        row.id: DealCard(
            sale_id=row.id,
            description=row.service_description,
            amount_cents=row.amount_cents,
            currency=row.currency or "USD",
            status=row.status or TransactionStatus.COMPLETED,
            invoice_id=row.invoice_id,
            invoice_number=row.number,
            client_user_id=row.client_user_id,
            provider_user_id=row.provider_user_id,
            review_id=row.review_id,
            review_hidden=bool(row.review_hidden),
        )
        for row in rows
    }


# --- the sales list --------------------------------------------------------------------------------------------

ClientUser = aliased(MarketplaceUser, name="client_user")


@dataclass(frozen=True)
class SaleRow:
    id: int
    transaction_date: date
    description: str
    client: str
    listing_title: str | None
    amount_cents: int
    fee_cents: int
    net_cents: int
    currency: str
    status: str
    payment_method: str | None
    notes: str | None
    invoice_id: int | None
    invoice_number: str | None
    card_cents: int = 0  # received by card on the sale's invoice
    refunded_cents: int = 0  # of which refunded

    @property
    def cursor(self) -> str:
        return f"{self.transaction_date.isoformat()},{self.id}"

    @property
    def card_refundable_cents(self) -> int:
        return self.card_cents - self.refunded_cents


@dataclass(frozen=True)
class SalesTotals:
    count: int
    gross_cents: int
    fee_cents: int
    net_cents: int


@dataclass(frozen=True)
class SalesPage:
    rows: list[SaleRow]
    next_cursor: str | None


def _filtered(statement: Select, tenant_id: int, filters: SalesFilter) -> Select:
    statement = statement.where(Sale.provider_tenant_id == tenant_id)
    if filters.status:
        statement = statement.where(Sale.status == filters.status)
    if filters.month:
        first = filters.month
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        statement = statement.where(Sale.transaction_date >= first, Sale.transaction_date < following)
    return statement


_FEE = func.coalesce(Sale.platform_fee_cents, 0)
_NET = func.coalesce(Sale.net_payout_cents, Sale.amount_cents - _FEE)
# Per row of the list: what the sale's invoice received by card, and what of it was refunded (two correlated
# sums over Payment_invoiceId_status_idx and PaymentRefund_paymentId_idempotencyKey_key; 0 without an invoice).
_CARD = (
    select(func.coalesce(func.sum(Payment.amount_cents), 0))
    .where(
        Payment.invoice_id == Invoice.id,
        Payment.stripe_payment_intent_id.is_not(None),
        Payment.status.in_(MONEY_RECEIVED),
    )
    .correlate(Invoice)
    .scalar_subquery()
)
_REFUNDED = (
    select(func.coalesce(func.sum(PaymentRefund.amount_cents), 0))
    .join(Payment, Payment.id == PaymentRefund.payment_id)
    .where(Payment.invoice_id == Invoice.id)
    .correlate(Invoice)
    .scalar_subquery()
)


def _rows_statement(tenant_id: int, filters: SalesFilter) -> Select:
    return _filtered(
        select(
            Sale.id,
            Sale.transaction_date,
            Sale.service_description,
            Sale.client_description,
            Sale.amount_cents,
            _FEE.label("fee"),
            _NET.label("net"),
            Sale.currency,
            Sale.status,
            Sale.payment_method,
            Sale.notes,
            Party.name.label("party_name"),
            ClientUser.first_name,
            ClientUser.last_name,
            ClientUser.email,
            ServiceListing.title,
            Invoice.id.label("invoice_id"),
            Invoice.number.label("invoice_number"),
            _CARD.label("card_cents"),
            _REFUNDED.label("refunded_cents"),
        )
        .outerjoin(Party, Party.id == Sale.client_party_id)
        .outerjoin(ClientUser, ClientUser.id == Sale.client_user_id)
        .outerjoin(ServiceListing, ServiceListing.id == Sale.service_listing_id)
        .outerjoin(Invoice, Invoice.marketplace_transaction_id == Sale.id)
        .order_by(Sale.transaction_date.desc(), Sale.id.desc()),
        tenant_id,
        filters,
    )


def _client_name(row) -> str:
    if row.party_name:
        return row.party_name
    if row.email:
        full = " ".join(part for part in (row.first_name, row.last_name) if part)
        return full or row.email.split("@", 1)[0]
    return row.client_description or ""


def _sale_row(row) -> SaleRow:
    return SaleRow(
        id=row.id,
        transaction_date=row.transaction_date,
        description=row.service_description,
        client=_client_name(row),
        listing_title=row.title,
        amount_cents=row.amount_cents,
        fee_cents=row.fee,
        net_cents=row.net,
        currency=row.currency or "USD",
        status=row.status or TransactionStatus.COMPLETED,
        payment_method=row.payment_method,
        notes=row.notes,
        invoice_id=row.invoice_id,
        invoice_number=row.invoice_number,
        card_cents=int(row.card_cents or 0),
        refunded_cents=int(row.refunded_cents or 0),
    )


def sales_page(tenant_id: int, filters: SalesFilter) -> SalesPage:
    """One page, newest first by (transaction_date, id), after the cursor: one statement."""
    statement = _rows_statement(tenant_id, filters)
    if filters.after is not None:
        statement = statement.where(tuple_(Sale.transaction_date, Sale.id) < tuple_(*filters.after))
    rows = [_sale_row(row) for row in db.session.execute(statement.limit(SALES_PAGE_SIZE + 1))]
    has_next = len(rows) > SALES_PAGE_SIZE
    rows = rows[:SALES_PAGE_SIZE]
    return SalesPage(rows=rows, next_cursor=rows[-1].cursor if has_next else None)


def sales_totals(tenant_id: int, filters: SalesFilter) -> SalesTotals:
    """Count, gross, fee and net over every sale the filters select (not just the page): one aggregate."""
    row = db.session.execute(
        _filtered(
            select(
                func.count(),
                func.coalesce(func.sum(Sale.amount_cents), 0),
                func.coalesce(func.sum(_FEE), 0),
                func.coalesce(func.sum(_NET), 0),
            ),
            tenant_id,
            filters,
        )
    ).one()
    return SalesTotals(count=row[0], gross_cents=int(row[1]), fee_cents=int(row[2]), net_cents=int(row[3]))


def sales_for_export(tenant_id: int, filters: SalesFilter) -> Iterator[SaleRow]:
    """Every sale the filters select, newest first, fetched in keyset batches (memory stays flat)."""
    after = None
    while True:
        statement = _rows_statement(tenant_id, filters)
        if after is not None:
            statement = statement.where(tuple_(Sale.transaction_date, Sale.id) < tuple_(*after))
        batch: Sequence = db.session.execute(statement.limit(CSV_BATCH_ROWS)).all()
        for row in batch:
            yield _sale_row(row)
        if len(batch) < CSV_BATCH_ROWS:
            return
        after = (batch[-1].transaction_date, batch[-1].id)
