"""The shared model package: one typed Base, one module per area. Import models from here."""

from models.audit import ActorKind, AuditEvent, record_audit
from models.base import Base
from models.billing import Invoice, InvoiceLineItem, InvoiceStatus, Payment, PaymentRefund, PaymentStatus
from models.location import ZipCentroid
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
from models.messaging import (
    MAX_ATTACHMENTS,
    AttachmentType,
    Message,
    MessageAttachment,
    MessageNotification,
    MessageThread,
    ThreadStatus,
)
from models.mixins import SoftDelete, TenantOwned
from models.reviews import ProviderStats, Rating, ReportReason, Review, ReviewReport
from models.sales import (
    SALE_TRANSITIONS,
    InvoiceNumberCounter,
    allocate_invoice_number,
    can_move,
    net_payout_cents,
    platform_fee_cents,
)
from models.scoping import (
    ALL_TENANTS,
    INCLUDE_DELETED,
    TenantNotBound,
    cross_tenant,
    current_tenant_id,
    install_scoping,
    linked_tenants_scope,
    tenant_scope,
)
from models.security import SessionEndReason, SignInSession, TwoFactorCredential, TwoFactorRecoveryCode
from models.tenancy import Contact, Party, PartyType, Tenant
from models.webhooks import StripeEvent

__all__ = [
    "ALL_TENANTS",
    "INCLUDE_DELETED",
    "MAX_ATTACHMENTS",
    "SALE_TRANSITIONS",
    "ActorKind",
    "AttachmentType",
    "AuditEvent",
    "Base",
    "Contact",
    "Invoice",
    "InvoiceLineItem",
    "InvoiceNumberCounter",
    "InvoiceStatus",
    "ListingStatus",
    "MarketplaceTransaction",
    "MarketplaceUser",
    "Message",
    "MessageAttachment",
    "MessageNotification",
    "MessageThread",
    "Party",
    "PartyType",
    "Payment",
    "PaymentRefund",
    "PaymentStatus",
    "PriceType",
    "ProviderStats",
    "Rating",
    "ReportReason",
    "Review",
    "ReviewReport",
    "ServiceListing",
    "SessionEndReason",
    "SignInSession",
    "SoftDelete",
    "StripeEvent",
    "Tenant",
    "TenantNotBound",
    "TenantOwned",
    "ThreadStatus",
    "TransactionStatus",
    "TwoFactorCredential",
    "TwoFactorRecoveryCode",
    "UserStatus",
    "UserType",
    "ZipCentroid",
    "allocate_invoice_number",
    "can_move",
    "cross_tenant",
    "current_tenant_id",
    "install_scoping",
    "linked_tenants_scope",
    "net_payout_cents",
    "platform_fee_cents",
    "record_audit",
    "tenant_scope",
]
