"""The shared model package: one typed Base, one module per area. Import models from here."""

from models.audit import ACTOR_KINDS, AuditEvent, record_audit
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
from models.sales import (
    SALE_TRANSITIONS,
    InvoiceNumberCounter,
    allocate_invoice_number,
    can_move,
    net_payout_cents,
    platform_fee_cents,
)
from models.scoping import ALL_TENANTS, INCLUDE_DELETED, current_tenant_id, install_scoping, tenant_scope
from models.tenancy import PARTY_TYPES, Contact, Party, Tenant

__all__ = [
    "ACTOR_KINDS",
    "ALL_TENANTS",
    "INCLUDE_DELETED",
    "INVOICE_STATUSES",
    "LISTING_STATUSES",
    "PARTY_TYPES",
    "PAYMENT_STATUSES",
    "PRICE_TYPES",
    "SALE_TRANSITIONS",
    "THREAD_STATUSES",
    "TRANSACTION_STATUSES",
    "USER_STATUSES",
    "USER_TYPES",
    "AuditEvent",
    "Base",
    "Contact",
    "Invoice",
    "InvoiceLineItem",
    "InvoiceNumberCounter",
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
    "allocate_invoice_number",
    "can_move",
    "current_tenant_id",
    "install_scoping",
    "net_payout_cents",
    "platform_fee_cents",
    "record_audit",
    "tenant_scope",
]
