"""The shared model package: one typed Base, one module per area. Import models from here."""

from models.base import Base
from models.billing import INVOICE_STATUSES, PAYMENT_STATUSES, Invoice, InvoiceLineItem, Payment
from models.marketplace import (
    LISTING_STATUSES,
    PRICE_TYPES,
    TRANSACTION_STATUSES,
    USER_STATUSES,
    USER_TYPES,
    MarketplaceTransaction,
    MarketplaceUser,
    ServiceListing,
)
from models.messaging import THREAD_STATUSES, Message, MessageNotification, MessageThread
from models.mixins import SoftDelete, TenantOwned
from models.scoping import ALL_TENANTS, INCLUDE_DELETED, current_tenant_id, install_scoping, tenant_scope
from models.tenancy import PARTY_TYPES, Contact, Party, Tenant

__all__ = [
    "ALL_TENANTS",
    "INCLUDE_DELETED",
    "INVOICE_STATUSES",
    "LISTING_STATUSES",
    "PARTY_TYPES",
    "PAYMENT_STATUSES",
    "PRICE_TYPES",
    "THREAD_STATUSES",
    "TRANSACTION_STATUSES",
    "USER_STATUSES",
    "USER_TYPES",
    "Base",
    "Contact",
    "Invoice",
    "InvoiceLineItem",
    "MarketplaceTransaction",
    "MarketplaceUser",
    "Message",
    "MessageNotification",
    "MessageThread",
    "Party",
    "Payment",
    "ServiceListing",
    "SoftDelete",
    "Tenant",
    "TenantOwned",
    "current_tenant_id",
    "install_scoping",
    "tenant_scope",
]
