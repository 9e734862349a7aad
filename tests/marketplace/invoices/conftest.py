"""A marketplace buyer linked to two breeders' client records, and the invoices they must and must not see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from app.extensions import db
from models import Contact, Invoice, MarketplaceUser, Tenant
from models.types import utcnow
from tests.factories import (
    ContactFactory,
    InvoiceFactory,
    MarketplaceUserFactory,
    PartyFactory,
    TenantFactory,
)


@dataclass
class InvoiceWorld:
    buyer: MarketplaceUser
    sunny: Tenant
    river: Tenant
    sunny_contact: Contact
    river_contact: Contact
    shown: dict[str, Invoice]
    hidden: dict[str, Invoice]


def linked_contact(tenant: Tenant, user: MarketplaceUser | None, **fields) -> Contact:
    """A breeder's client record, linked to a marketplace user (or to nobody)."""
    return ContactFactory(party=PartyFactory(tenant=tenant), marketplace_user=user, **fields)


def invoice_of(contact: Contact, number: str, days_ago: int = 1, **fields) -> Invoice:
    return InvoiceFactory(
        client_party=contact.party, number=number, created_at=utcnow() - timedelta(days=days_ago), **fields
    )


@pytest.fixture
def invoice_world() -> InvoiceWorld:
    buyer = MarketplaceUserFactory(first_name="Bailey", last_name="Buyer")
    someone_else = MarketplaceUserFactory()
    sunny = TenantFactory(name="Sunny Kennels", slug="sunny")
    river = TenantFactory(name="River Stables", slug="river")
    gone = TenantFactory(name="Gone Farm", slug="gone")
    sunny_contact = linked_contact(sunny, buyer)
    river_contact = linked_contact(river, buyer)
    deleted_contact = linked_contact(gone, buyer, deleted_at=utcnow())

    shown = {
        "S-ISSUED": invoice_of(sunny_contact, "S-ISSUED", 1, amount_cents=10_000),
        "S-PARTIAL": invoice_of(
            sunny_contact, "S-PARTIAL", 5, status="partially_paid", amount_cents=30_000, balance_cents=12_500
        ),
        "S-PAID": invoice_of(sunny_contact, "S-PAID", 9, status="paid", balance_cents=0),
        "S-VOID": invoice_of(sunny_contact, "S-VOID", 12, status="void", balance_cents=0),
        "R-EUR": invoice_of(river_contact, "R-EUR", 2, currency="EUR", amount_cents=7_000),
        "R-USD": invoice_of(river_contact, "R-USD", 3, amount_cents=2_000),
        "R-ZERO": invoice_of(river_contact, "R-ZERO", 4, amount_cents=2_000, balance_cents=0),
    }
    hidden = {
        "draft": invoice_of(sunny_contact, "X-DRAFT", 0, status="draft", issued_at=None),
        "deleted": invoice_of(sunny_contact, "X-DELETED", 0, deleted_at=utcnow()),
        "other_user": invoice_of(linked_contact(sunny, someone_else), "X-OTHER-USER", 0),
        "unlinked_contact": invoice_of(linked_contact(sunny, None), "X-UNLINKED", 0),
        "deleted_contact": invoice_of(deleted_contact, "X-DELETED-CONTACT", 0),
    }
    db.session.flush()
    return InvoiceWorld(buyer, sunny, river, sunny_contact, river_contact, shown, hidden)
