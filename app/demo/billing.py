"""Demo breeders, their clients, and invoices in every status (one soft-deleted, one very large)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.passwords import hash_password
from models import ALL_TENANTS, INCLUDE_DELETED, Contact, Invoice, InvoiceLineItem, Party, Payment, Tenant
from models.types import utcnow

DEMO_TENANTS = [("sunny-acres", "Sunny Acres Kennels"), ("river-bend", "River Bend Stables")]


def _get_or_create_tenant(slug: str, name: str) -> Tenant:
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        tenant = Tenant(slug=slug, name=name)
        db.session.add(tenant)
        db.session.flush()
    return tenant


def _get_or_create_contact(tenant: Tenant, email: str, first: str, last: str, password: str) -> Contact:
    contact = db.session.scalar(
        select(Contact)
        .where(Contact.tenant_id == tenant.id, Contact.email == email)
        .execution_options(**{ALL_TENANTS: True, INCLUDE_DELETED: True})
    )
    if contact is None:
        party = Party(tenant_id=tenant.id, type="person", name=f"{first} {last}", email=email)
        db.session.add(party)
        db.session.flush()
        contact = Contact(
            tenant_id=tenant.id,
            party_id=party.id,
            first_name=first,
            last_name=last,
            email=email,
            portal_enabled=True,
            portal_password_hash=hash_password(password),
        )
        db.session.add(contact)
        db.session.flush()
    return contact


def _invoice(
    tenant: Tenant,
    party_id: int,
    number: str,
    status: str,
    lines: list[tuple[str, int, int]],
    *,
    paid_cents: int = 0,
    deposit_cents: int | None = None,
    issued_days_ago: int = 30,
    due_in_days: int = 14,
    deleted: bool = False,
) -> Invoice | None:
    exists = db.session.scalar(
        select(Invoice.id)
        .where(Invoice.tenant_id == tenant.id, Invoice.number == number)
        .execution_options(**{ALL_TENANTS: True, INCLUDE_DELETED: True})
    )
    if exists:
        return None
    now = utcnow()
    total = sum(quantity * unit for _, quantity, unit in lines)
    issued_at = None if status == "draft" else now - timedelta(days=issued_days_ago)
    invoice = Invoice(
        tenant_id=tenant.id,
        client_party_id=party_id,
        number=number,
        status=status,
        amount_cents=total,
        balance_cents=0 if status in ("paid", "void") else total - paid_cents,
        deposit_cents=deposit_cents,
        currency="USD",
        issued_at=issued_at,
        due_at=(issued_at + timedelta(days=due_in_days)) if issued_at else None,
        created_at=issued_at or now,
        deleted_at=now if deleted else None,
    )
    invoice.line_items = [
        InvoiceLineItem(
            tenant_id=tenant.id,
            position=position,
            description=description,
            quantity=quantity,
            unit_price_cents=unit,
            amount_cents=quantity * unit,
        )
        for position, (description, quantity, unit) in enumerate(lines)
    ]
    db.session.add(invoice)
    db.session.flush()
    if paid_cents:
        db.session.add(
            Payment(
                tenant_id=tenant.id,
                invoice_id=invoice.id,
                amount_cents=paid_cents,
                status="succeeded",
                method="card",
                paid_at=(issued_at or now) + timedelta(days=3),
                reference=f"ch_{number.lower()}",
            )
        )
    return invoice


def seed_billing(password: str) -> Tenant:
    sunny = _get_or_create_tenant(*DEMO_TENANTS[0])
    river = _get_or_create_tenant(*DEMO_TENANTS[1])
    client = _get_or_create_contact(sunny, "client@example.com", "Jamie", "Rivera", password)
    neighbour = _get_or_create_contact(sunny, "neighbour@example.com", "Morgan", "Lee", password)
    other_tenant_client = _get_or_create_contact(river, "client@example.com", "Jamie", "Rivera", password)

    party = client.party_id
    _invoice(sunny, party, "SA-1001", "draft", [("Puppy deposit (draft)", 1, 50000)])
    _invoice(
        sunny,
        party,
        "SA-1002",
        "issued",
        [("Stud service: Ch. Sunny Boy", 1, 150000), ("Progesterone test", 2, 8500)],
        issued_days_ago=5,
        due_in_days=30,
    )
    _invoice(sunny, party, "SA-1003", "issued", [("Boarding, 10 nights", 10, 4500)], issued_days_ago=45)
    _invoice(
        sunny,
        party,
        "SA-1004",
        "partially_paid",
        [("Golden retriever puppy", 1, 280000), ("Microchip", 1, 6500)],
        paid_cents=100000,
        deposit_cents=50000,
        issued_days_ago=60,
    )
    _invoice(
        sunny, party, "SA-1005", "paid", [("Grooming package", 3, 7500)], paid_cents=22500, issued_days_ago=90
    )
    _invoice(sunny, party, "SA-1006", "void", [("Duplicate training invoice", 1, 12000)], issued_days_ago=20)
    _invoice(sunny, party, "SA-1007", "issued", [("Kennel expansion (deleted)", 1, 99900)], deleted=True)
    _invoice(
        sunny,
        party,
        "SA-1008",
        "issued",
        [("Breeding program buyout", 1, 2_500_000_000)],
        issued_days_ago=2,
        due_in_days=60,
    )
    _invoice(sunny, neighbour.party_id, "SA-2001", "issued", [("Neighbour's vet visit", 1, 18000)])
    _invoice(river, other_tenant_client.party_id, "RB-1001", "issued", [("Farrier visit", 1, 9500)])
    return sunny
