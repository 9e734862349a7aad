"""Demo breeders, their portal clients and invoices in every status, and the marketplace sale that became an
invoice (demo/data/billing.toml)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.passwords import hash_password
from demo.loader import insert, read, records
from demo.marketplace import MarketplaceRows
from models import (
    ALL_TENANTS,
    INCLUDE_DELETED,
    Contact,
    Invoice,
    InvoiceLineItem,
    InvoiceStatus,
    MarketplaceTransaction,
    Party,
    PartyType,
    Payment,
    PaymentStatus,
    Tenant,
    TransactionStatus,
)
from models.sales import platform_fee_cents
from models.types import utcnow

EVERY_ROW = {ALL_TENANTS: True, INCLUDE_DELETED: True}


@dataclass(frozen=True)
class DemoTenant:
    slug: str
    name: str


@dataclass(frozen=True)
class DemoContact:
    tenant: str
    email: str
    first_name: str
    last_name: str


@dataclass(frozen=True)
class DemoLine:
    description: str
    quantity: int
    unit_price_cents: int

    @property
    def amount_cents(self) -> int:
        return self.quantity * self.unit_price_cents


@dataclass(frozen=True)
class DemoInvoice:
    tenant: str
    client: str
    number: str
    status: str
    lines: list[DemoLine]
    paid_cents: int = 0
    deposit_cents: int | None = None
    issued_days_ago: int = 30
    due_in_days: int = 14
    deleted: bool = False

    @classmethod
    def from_toml(cls, lines: list[dict[str, Any]], **fields: Any) -> DemoInvoice:
        return cls(lines=records(DemoLine, lines), **fields)


@dataclass(frozen=True)
class DemoSale:
    tenant: str
    number: str
    client: str
    buyer: str
    seller: str
    listing: str
    days_ago: int
    due_in_days: int


@dataclass(frozen=True)
class BillingDemo:
    tenants: list[DemoTenant]
    contacts: list[DemoContact]
    invoices: list[DemoInvoice]
    marketplace_sales: list[DemoSale]


def load() -> BillingDemo:
    data = read("billing.toml")
    return BillingDemo(
        tenants=records(DemoTenant, data["tenants"]),
        contacts=records(DemoContact, data["contacts"]),
        invoices=records(DemoInvoice.from_toml, data["invoices"]),
        marketplace_sales=records(DemoSale, data["marketplace_sales"]),
    )


def _get_or_create_tenant(spec: DemoTenant) -> Tenant:
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == spec.slug))
    if tenant is None:
        tenant = insert(Tenant(slug=spec.slug, name=spec.name))
    return tenant


def _get_or_create_contact(tenant: Tenant, spec: DemoContact, password: str) -> Contact:
    contact = db.session.scalar(
        select(Contact)
        .where(Contact.tenant_id == tenant.id, Contact.email == spec.email)
        .execution_options(**EVERY_ROW)
    )
    if contact is None:
        party = insert(
            Party(
                tenant_id=tenant.id,
                type=PartyType.PERSON,
                name=f"{spec.first_name} {spec.last_name}",
                email=spec.email,
            )
        )
        contact = insert(
            Contact(
                tenant_id=tenant.id,
                party_id=party.id,
                first_name=spec.first_name,
                last_name=spec.last_name,
                email=spec.email,
                portal_enabled=True,
                portal_password_hash=hash_password(password),
            )
        )
    return contact


def _invoice_exists(tenant_id: int, number: str) -> bool:
    return (
        db.session.scalar(
            select(Invoice.id)
            .where(Invoice.tenant_id == tenant_id, Invoice.number == number)
            .execution_options(**EVERY_ROW)
        )
        is not None
    )


def _add_invoice(tenant_id: int, party_id: int, spec: DemoInvoice, **marketplace: Any) -> None:
    now = utcnow()
    total = sum(line.amount_cents for line in spec.lines)
    issued_at = None if spec.status == InvoiceStatus.DRAFT else now - timedelta(days=spec.issued_days_ago)
    settled = spec.status in (InvoiceStatus.PAID, InvoiceStatus.VOID)
    invoice = Invoice(
        tenant_id=tenant_id,
        client_party_id=party_id,
        number=spec.number,
        status=spec.status,
        amount_cents=total,
        balance_cents=0 if settled else total - spec.paid_cents,
        deposit_cents=spec.deposit_cents,
        currency="USD",
        issued_at=issued_at,
        due_at=(issued_at + timedelta(days=spec.due_in_days)) if issued_at else None,
        created_at=issued_at or now,
        deleted_at=now if spec.deleted else None,
        **marketplace,
    )
    invoice.line_items = [
        InvoiceLineItem(
            tenant_id=tenant_id,
            position=position,
            description=line.description,
            quantity=line.quantity,
            unit_price_cents=line.unit_price_cents,
            amount_cents=line.amount_cents,
        )
        for position, line in enumerate(spec.lines)
    ]
    insert(invoice)
    if spec.paid_cents:
        db.session.add(
            Payment(
                tenant_id=tenant_id,
                invoice_id=invoice.id,
                amount_cents=spec.paid_cents,
                status=PaymentStatus.SUCCEEDED,
                method="card",
                paid_at=(issued_at or now) + timedelta(days=3),
                reference=f"ch_{spec.number.lower()}",
            )
        )


Contacts = dict[tuple[str, str], Contact]  # by (tenant slug, e-mail)


def seed_billing(demo: BillingDemo, password: str) -> Contacts:
    tenants = {spec.slug: _get_or_create_tenant(spec) for spec in demo.tenants}
    contacts = {
        (spec.tenant, spec.email): _get_or_create_contact(tenants[spec.tenant], spec, password)
        for spec in demo.contacts
    }
    for spec in demo.invoices:
        client = contacts[(spec.tenant, spec.client)]
        if not _invoice_exists(client.tenant_id, spec.number):
            _add_invoice(client.tenant_id, client.party_id, spec)
    return contacts


def seed_marketplace_sales(demo: BillingDemo, contacts: Contacts, marketplace: MarketplaceRows) -> None:
    """Runs after the marketplace demo, whose users and listings the sales name."""
    for sale in demo.marketplace_sales:
        client = contacts[(sale.tenant, sale.client)]
        buyer, seller = marketplace.users[sale.buyer], marketplace.users[sale.seller]
        if client.marketplace_user_id is None:
            client.marketplace_user_id = buyer.id
        if _invoice_exists(client.tenant_id, sale.number):
            continue
        listing = marketplace.listings[(sale.seller, sale.listing)]
        amount = listing.price_cents or 0
        fee = platform_fee_cents(amount, current_app.config["MARKETPLACE_FEE_BPS"])
        transaction = insert(
            MarketplaceTransaction(
                provider_tenant_id=client.tenant_id,
                provider_user_id=seller.id,
                client_party_id=client.party_id,
                client_user_id=buyer.id,
                service_listing_id=listing.id,
                service_description=listing.title,
                amount_cents=amount,
                platform_fee_cents=fee,
                net_payout_cents=amount - fee,
                transaction_date=utcnow().date() - timedelta(days=sale.days_ago),
                status=TransactionStatus.COMPLETED,
                payment_method="card",
            )
        )
        invoice = DemoInvoice(
            tenant=sale.tenant,
            client=sale.client,
            number=sale.number,
            status=InvoiceStatus.ISSUED,
            lines=[
                DemoLine(description=f"Marketplace: {listing.title}", quantity=1, unit_price_cents=amount)
            ],
            issued_days_ago=sale.days_ago,
            due_in_days=sale.due_in_days,
        )
        _add_invoice(
            client.tenant_id,
            client.party_id,
            invoice,
            marketplace_transaction_id=transaction.id,
            is_marketplace_invoice=True,
        )
    db.session.flush()
