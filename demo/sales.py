"""Demo sales recorded in the demo conversations (the `sales` of demo/data/marketplace.toml), through the same
code as the seller's pages: each gets its audit events and its deal card, a completed one its status move, an
invoiced one its invoice. A sale already recorded (same breeder and description) is left alone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from demo.loader import read, records
from demo.marketplace import MarketplaceRows
from marketplace.sales.forms import SaleDetails
from marketplace.sales.invoicing import create_invoice, move_sale, record_sale
from models import MarketplaceTransaction, MessageThread, TransactionStatus
from models.types import utcnow


@dataclass(frozen=True)
class DemoSale:
    seller: str
    listing: str
    buyer: str
    description: str
    amount_cents: int
    days_ago: int
    payment_method: str | None = None
    status: TransactionStatus = TransactionStatus.PENDING
    invoiced: bool = False


def _add_sale(spec: DemoSale, rows: MarketplaceRows) -> None:
    seller = rows.users[spec.seller]
    assert seller.tenant_id is not None, (
        f"{spec.seller} records sales, so marketplace.toml links it to a tenant"
    )
    exists = db.session.scalar(
        select(MarketplaceTransaction.id).where(
            MarketplaceTransaction.provider_tenant_id == seller.tenant_id,
            MarketplaceTransaction.service_description == spec.description,
        )
    )
    if exists is not None:
        return
    thread = db.session.scalars(
        select(MessageThread).where(
            MessageThread.listing_id == rows.listings[(spec.seller, spec.listing)].id,
            MessageThread.buyer_user_id == rows.users[spec.buyer].id,
        )
    ).one()
    details = SaleDetails(
        amount_cents=spec.amount_cents,
        description=spec.description,
        transaction_date=utcnow().date() - timedelta(days=spec.days_ago),
        payment_method=spec.payment_method,
    )
    sale, _ = record_sale(seller, details, thread=thread)
    if spec.status != TransactionStatus.PENDING:
        move_sale(sale.id, seller.tenant_id, spec.status, seller)
    if spec.invoiced:
        create_invoice(sale.id, seller.tenant_id, seller)


def seed_sales(rows: MarketplaceRows) -> None:
    for spec in records(DemoSale, read("marketplace.toml")["sales"]):
        _add_sale(spec, rows)
