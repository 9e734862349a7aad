"""factory_boy factories. They flush into the test's transaction; nothing is committed past the test."""

from __future__ import annotations

from datetime import timedelta

import factory
from factory.alchemy import SQLAlchemyModelFactory

from app.extensions import db
from app.passwords import hash_password
from models import (
    Contact,
    Invoice,
    InvoiceLineItem,
    MarketplaceTransaction,
    MarketplaceUser,
    Message,
    MessageThread,
    Party,
    Payment,
    ServiceListing,
    Tenant,
)
from models.types import utcnow

PASSWORD = "correct-horse-battery-staple-9"


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class TenantFactory(BaseFactory):
    class Meta:
        model = Tenant

    name = factory.Sequence(lambda n: f"Breeder {n}")
    slug = factory.Sequence(lambda n: f"breeder-{n}")


class PartyFactory(BaseFactory):
    class Meta:
        model = Party

    tenant = factory.SubFactory(TenantFactory)
    type = "person"
    name = factory.Sequence(lambda n: f"Client {n}")
    email = factory.Sequence(lambda n: f"client{n}@example.test")


class ContactFactory(BaseFactory):
    class Meta:
        model = Contact

    party = factory.SubFactory(PartyFactory)
    tenant = factory.SelfAttribute("party.tenant")
    first_name = "Casey"
    last_name = factory.Sequence(lambda n: f"Client{n}")
    email = factory.SelfAttribute("party.email")
    portal_enabled = True
    portal_password_hash = factory.LazyFunction(lambda: hash_password(PASSWORD))


class InvoiceFactory(BaseFactory):
    class Meta:
        model = Invoice

    client_party = factory.SubFactory(PartyFactory)
    tenant = factory.SelfAttribute("client_party.tenant")
    number = factory.Sequence(lambda n: f"INV-{n:05d}")
    status = "issued"
    amount_cents = 10_000
    balance_cents = factory.SelfAttribute("amount_cents")
    currency = "USD"
    issued_at = factory.LazyFunction(lambda: utcnow() - timedelta(days=3))
    due_at = factory.LazyFunction(lambda: utcnow() + timedelta(days=27))


class InvoiceLineItemFactory(BaseFactory):
    class Meta:
        model = InvoiceLineItem

    invoice = factory.SubFactory(InvoiceFactory)
    tenant_id = factory.SelfAttribute("invoice.tenant_id")
    description = "Service"
    quantity = 1
    unit_price_cents = 10_000
    amount_cents = factory.LazyAttribute(lambda item: item.quantity * item.unit_price_cents)


class PaymentFactory(BaseFactory):
    class Meta:
        model = Payment

    invoice = factory.SubFactory(InvoiceFactory)
    tenant_id = factory.SelfAttribute("invoice.tenant_id")
    amount_cents = 5_000
    status = "succeeded"
    method = "card"
    paid_at = factory.LazyFunction(utcnow)


class MarketplaceUserFactory(BaseFactory):
    class Meta:
        model = MarketplaceUser

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    password_hash = factory.LazyFunction(lambda: hash_password(PASSWORD))
    first_name = "Alex"
    last_name = factory.Sequence(lambda n: f"User{n}")
    email_verified = True
    user_type = "buyer"
    status = "active"


class ServiceListingFactory(BaseFactory):
    class Meta:
        model = ServiceListing

    provider_user = factory.SubFactory(MarketplaceUserFactory, user_type="service_provider")
    title = factory.Sequence(lambda n: f"Grooming service {n}")
    description = "Gentle, thorough grooming for all breeds."
    category = "grooming"
    price_cents = 5_000
    price_type = "fixed"
    city = "Austin"
    state = "TX"
    zip_code = "78701"
    service_area_miles = 25
    status = "active"
    tags = factory.LazyFunction(lambda: ["grooming"])
    published_at = factory.LazyFunction(utcnow)


class MarketplaceTransactionFactory(BaseFactory):
    class Meta:
        model = MarketplaceTransaction

    provider_tenant = factory.SubFactory(TenantFactory)
    service_description = "Grooming"
    amount_cents = 5_000
    transaction_date = factory.LazyFunction(lambda: utcnow().date())


class MessageThreadFactory(BaseFactory):
    class Meta:
        model = MessageThread

    listing = factory.SubFactory(ServiceListingFactory)
    seller_user = factory.SelfAttribute("listing.provider_user")
    buyer_user = factory.SubFactory(MarketplaceUserFactory)
    subject = factory.SelfAttribute("listing.title")
    status = "active"
    last_message_at = factory.LazyFunction(utcnow)


class MessageFactory(BaseFactory):
    class Meta:
        model = Message

    thread = factory.SubFactory(MessageThreadFactory)
    sender = factory.SelfAttribute("thread.buyer_user")
    message_text = "Hello!"
    created_at = factory.LazyFunction(utcnow)
