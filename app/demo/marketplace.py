"""Demo marketplace accounts, listings, and a transaction that became an invoice in the portal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.passwords import hash_password
from models import (
    ALL_TENANTS,
    Contact,
    Invoice,
    InvoiceLineItem,
    MarketplaceTransaction,
    MarketplaceUser,
    ServiceListing,
    Tenant,
)
from models.types import utcnow


@dataclass
class DemoUsers:
    buyer: MarketplaceUser
    seller: MarketplaceUser


def _get_or_create_user(email: str, password: str, **fields: object) -> MarketplaceUser:
    user = db.session.scalar(select(MarketplaceUser).where(MarketplaceUser.email == email))
    if user is None:
        user = MarketplaceUser(
            email=email, password_hash=hash_password(password), email_verified=True, **fields
        )
        db.session.add(user)
        db.session.flush()
    return user


# (title, category, price_cents, price_type, city, state, tags)
DEMO_LISTINGS = [
    (
        "Stud service: champion Golden Retriever",
        "stud_service",
        150000,
        "fixed",
        "Austin",
        "TX",
        ["golden retriever", "stud", "ofa"],
    ),
    ("Full grooming for show dogs", "grooming", 7500, "per_session", "Denver", "CO", ["grooming", "show"]),
    ("Puppy obedience classes", "training", 4500, "hourly", "Portland", "OR", ["obedience", "puppy"]),
]


def seed_listings(seller: MarketplaceUser) -> list[ServiceListing]:
    listings = []
    for index, (title, category, price, price_type, city, state, tags) in enumerate(DEMO_LISTINGS):
        listing = db.session.scalar(
            select(ServiceListing).where(
                ServiceListing.provider_user_id == seller.id, ServiceListing.title == title
            )
        )
        if listing is None:
            listing = ServiceListing(
                provider_user_id=seller.id,
                title=title,
                description=f"{title}. Experienced, insured, and happy to answer questions.",
                category=category,
                price_cents=price,
                price_type=price_type,
                city=city,
                state=state,
                zip_code="78701",
                service_area_miles=50,
                status="active",
                tags=tags,
                published_at=utcnow() - timedelta(days=index),
            )
            db.session.add(listing)
            db.session.flush()
        listings.append(listing)
    return listings


def seed_marketplace(password: str, tenant: Tenant) -> DemoUsers:
    buyer = _get_or_create_user("buyer@example.com", password, first_name="Bailey", last_name="Buyer")
    seller = _get_or_create_user(
        "seller@example.com",
        password,
        first_name="Sam",
        last_name="Seller",
        user_type="service_provider",
        tenant_id=tenant.id,
        tenant_verified=True,
    )
    listings = seed_listings(seller)

    client = db.session.scalar(
        select(Contact)
        .where(Contact.tenant_id == tenant.id, Contact.email == "client@example.com")
        .execution_options(**{ALL_TENANTS: True})
    )
    if client is not None and client.marketplace_user_id is None:
        client.marketplace_user_id = buyer.id

    number = "SA-M001"
    already = db.session.scalar(
        select(Invoice.id)
        .where(Invoice.tenant_id == tenant.id, Invoice.number == number)
        .execution_options(**{ALL_TENANTS: True})
    )
    if already is None and client is not None:
        listing = listings[0]
        transaction = MarketplaceTransaction(
            provider_tenant_id=tenant.id,
            provider_user_id=seller.id,
            client_party_id=client.party_id,
            client_user_id=buyer.id,
            service_listing_id=listing.id,
            service_description=listing.title,
            amount_cents=listing.price_cents or 0,
            platform_fee_cents=(listing.price_cents or 0) // 20,
            net_payout_cents=(listing.price_cents or 0) - (listing.price_cents or 0) // 20,
            transaction_date=utcnow().date() - timedelta(days=7),
            status="completed",
            payment_method="card",
        )
        db.session.add(transaction)
        db.session.flush()
        issued = utcnow() - timedelta(days=7)
        db.session.add(
            Invoice(
                tenant_id=tenant.id,
                client_party_id=client.party_id,
                number=number,
                status="issued",
                amount_cents=transaction.amount_cents,
                balance_cents=transaction.amount_cents,
                currency="USD",
                issued_at=issued,
                due_at=issued + timedelta(days=30),
                created_at=issued,
                marketplace_transaction_id=transaction.id,
                is_marketplace_invoice=True,
                line_items=[
                    InvoiceLineItem(
                        tenant_id=tenant.id,
                        description=f"Marketplace: {listing.title}",
                        quantity=1,
                        unit_price_cents=transaction.amount_cents,
                        amount_cents=transaction.amount_cents,
                    )
                ],
            )
        )
    db.session.flush()
    return DemoUsers(buyer=buyer, seller=seller)
