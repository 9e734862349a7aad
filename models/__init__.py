"""The shared model package: one typed Base, one module per area. Import models from here."""

from models.base import Base
from models.billing import Invoice, InvoiceLineItem, InvoiceStatus, Payment, PaymentStatus
from models.marketplace import (
    ListingStatus,
    MarketplaceTransaction,
    MarketplaceUser,
    PriceType,
    ServiceListing,
    TransactionStatus,
    UserStatus,
    UserType,
)
from models.messaging import Message, MessageNotification, MessageThread, ThreadStatus
from models.mixins import SoftDelete, TenantOwned
from models.scoping import ALL_TENANTS, INCLUDE_DELETED, current_tenant_id, install_scoping, tenant_scope
from models.tenancy import Contact, Party, PartyType, Tenant

__all__ = [
    "ALL_TENANTS",
    "INCLUDE_DELETED",
    "Base",
    "Contact",
    "Invoice",
    "InvoiceLineItem",
    "InvoiceStatus",
    "ListingStatus",
    "MarketplaceTransaction",
    "MarketplaceUser",
    "Message",
    "MessageNotification",
    "MessageThread",
    "Party",
    "PartyType",
    "Payment",
    "PaymentStatus",
    "PriceType",
    "ServiceListing",
    "SoftDelete",
    "Tenant",
    "TenantOwned",
    "ThreadStatus",
    "TransactionStatus",
    "UserStatus",
    "UserType",
    "current_tenant_id",
    "install_scoping",
    "tenant_scope",
]
