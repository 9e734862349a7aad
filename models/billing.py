"""Invoices, their line items, and payments. Money is integer cents (BIGINT) everywhere."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    and_,
    false,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base
from models.mixins import PrismaTimestamps, SoftDelete, TenantOwned
from models.types import PRISMA_TIMESTAMP, check_in, intpk, utcnow

if TYPE_CHECKING:
    from models.marketplace import MarketplaceTransaction
    from models.tenancy import Party, Tenant


class InvoiceStatus(StrEnum):
    DRAFT = "draft"
    ISSUED = "issued"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    VOID = "void"


class PaymentStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUNDED = "refunded"


# What a breeder's client may see (never drafts), and which of those may still be owed money.
CLIENT_VISIBLE_STATUSES = tuple(status for status in InvoiceStatus if status != InvoiceStatus.DRAFT)
OPEN_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID)


class Invoice(TenantOwned, SoftDelete, PrismaTimestamps, Base):
    __tablename__ = "Invoice"
    __table_args__ = (
        Index("Invoice_tenantId_number_key", "tenantId", "number", unique=True),
        check_in("status", InvoiceStatus),
        Index("Invoice_tenantId_status_createdAt_idx", "tenantId", "status", text('"createdAt" DESC')),
        Index(
            "Invoice_clientPartyId_status_idx",
            "clientPartyId",
            "status",
            postgresql_where=text('"clientPartyId" IS NOT NULL'),
        ),
        Index("Invoice_deletedAt_idx", "deletedAt", postgresql_where=text('"deletedAt" IS NULL')),
        # Revision 0005: a client's invoices newest first (the portal list).
        Index(
            "Invoice_clientPartyId_createdAt_idx",
            "clientPartyId",
            text('"createdAt" DESC'),
            text("id DESC"),
            postgresql_where=text('"deletedAt" IS NULL'),
        ),
        Index(
            "Invoice_marketplace_idx",
            "tenantId",
            "isMarketplaceInvoice",
            "status",
            postgresql_where=text('"isMarketplaceInvoice" = true'),
        ),
        # Revision 0011: a marketplace transaction is invoiced once (soft-deleted invoices count too).
        Index(
            "Invoice_marketplaceTransactionId_key",
            "marketplaceTransactionId",
            unique=True,
            postgresql_where=text('"marketplaceTransactionId" IS NOT NULL'),
        ),
    )

    id: Mapped[intpk]
    client_party_id: Mapped[int | None] = mapped_column(
        "clientPartyId", ForeignKey("Party.id", ondelete="SET NULL", onupdate="CASCADE")
    )
    number: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(
        Text, server_default=InvoiceStatus.DRAFT.value, default=InvoiceStatus.DRAFT
    )
    amount_cents: Mapped[int] = mapped_column("amountCents", BigInteger)
    balance_cents: Mapped[int] = mapped_column("balanceCents", BigInteger)
    deposit_cents: Mapped[int | None] = mapped_column("depositCents", BigInteger)
    currency: Mapped[str] = mapped_column(Text, server_default="USD", default="USD")
    issued_at: Mapped[datetime | None] = mapped_column("issuedAt", PRISMA_TIMESTAMP)
    due_at: Mapped[datetime | None] = mapped_column("dueAt", PRISMA_TIMESTAMP)
    notes: Mapped[str | None] = mapped_column(Text)
    marketplace_transaction_id: Mapped[int | None] = mapped_column(
        "marketplaceTransactionId", Integer, ForeignKey("MarketplaceTransaction.id", ondelete="SET NULL")
    )
    is_marketplace_invoice: Mapped[bool | None] = mapped_column(
        "isMarketplaceInvoice", Boolean, server_default=false(), default=False
    )

    tenant: Mapped[Tenant] = relationship()
    client_party: Mapped[Party | None] = relationship(back_populates="invoices")
    marketplace_transaction: Mapped[MarketplaceTransaction | None] = relationship(back_populates="invoices")
    line_items: Mapped[list[InvoiceLineItem]] = relationship(
        back_populates="invoice", order_by="InvoiceLineItem.position", cascade="all, delete-orphan"
    )
    payments: Mapped[list[Payment]] = relationship(back_populates="invoice", order_by="Payment.paid_at")

    @hybrid_property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @is_open.inplace.expression
    @classmethod
    def _is_open_expression(cls) -> ColumnElement[bool]:
        return cls.status.in_(OPEN_STATUSES)

    @property
    def is_overdue(self) -> bool:
        """Derived, never stored: past due with money still owed."""
        return self.is_open and self.balance_cents > 0 and self.due_at is not None and self.due_at < utcnow()

    @classmethod
    def shown_to_party(cls, party_id: int | ColumnElement[int]) -> ColumnElement[bool]:
        """The one rule for what a client sees: their party's invoices, never drafts. The portal passes the
        contact's party id; a query joining Contact passes the column. Soft-deleted rows are hidden by
        models.scoping; the tenant is the caller's to restrict."""
        return and_(cls.client_party_id == party_id, cls.status.in_(CLIENT_VISIBLE_STATUSES))

    @classmethod
    def owing_criterion(cls) -> ColumnElement[bool]:
        """Open with money still owed: what a balance due adds up and the marketplace's invoice badge counts."""
        return and_(cls.is_open, cls.balance_cents > 0)


class InvoiceLineItem(TenantOwned, PrismaTimestamps, Base):
    __tablename__ = "InvoiceLineItem"
    __table_args__ = (
        CheckConstraint('"quantity" > 0', name="quantity_positive"),
        Index("InvoiceLineItem_invoiceId_position_idx", "invoiceId", "position"),
    )

    id: Mapped[intpk]
    invoice_id: Mapped[int] = mapped_column("invoiceId", ForeignKey("Invoice.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    description: Mapped[str] = mapped_column(Text)
    quantity: Mapped[int] = mapped_column(Integer, server_default="1", default=1)
    unit_price_cents: Mapped[int] = mapped_column("unitPriceCents", BigInteger)
    amount_cents: Mapped[int] = mapped_column("amountCents", BigInteger)

    invoice: Mapped[Invoice] = relationship(back_populates="line_items")


# Revision 0023: a payment's paidAt, a missing one sorting before all others (CASE, not COALESCE: see 0023).
# Written as PostgreSQL prints it back, line breaks too, so autogenerate finds no difference.
PAID_AT_OR_NEVER = """(
CASE
    WHEN "paidAt" IS NULL THEN '-infinity'::timestamp without time zone
    ELSE "paidAt"
END)"""

# Revision 0013: an invoice has at most one open online payment (a card payment waiting at Stripe).
OPEN_ONLINE_PAYMENT = "status = 'pending' AND \"stripePaymentIntentId\" IS NOT NULL"


class Payment(TenantOwned, PrismaTimestamps, Base):
    __tablename__ = "Payment"
    __table_args__ = (
        check_in("status", PaymentStatus),
        Index("Payment_invoiceId_status_idx", "invoiceId", "status"),
        # Revision 0013: online card payments.
        Index("Payment_stripePaymentIntentId_key", "stripePaymentIntentId", unique=True),
        Index(
            "Payment_invoiceId_open_online_key",
            "invoiceId",
            unique=True,
            postgresql_where=text(OPEN_ONLINE_PAYMENT),
        ),
        CheckConstraint('"overpaidCents" IS NULL OR "overpaidCents" > 0', name="overpaidCents"),
        Index(
            "Payment_tenantId_overpaid_idx", "tenantId", postgresql_where=text('"overpaidCents" IS NOT NULL')
        ),
        # Revision 0023: a breeder's payments newest first, a missing paidAt last (the portal's payment list).
        Index(
            "Payment_tenantId_paidAt_idx",
            "tenantId",
            text(PAID_AT_OR_NEVER),
            "id",
        ),
    )

    id: Mapped[intpk]
    invoice_id: Mapped[int] = mapped_column(
        "invoiceId", ForeignKey("Invoice.id", ondelete="RESTRICT", onupdate="CASCADE")
    )
    amount_cents: Mapped[int] = mapped_column("amountCents", BigInteger)
    status: Mapped[str] = mapped_column(
        Text, server_default=PaymentStatus.PENDING.value, default=PaymentStatus.PENDING
    )
    method: Mapped[str | None] = mapped_column(Text)
    paid_at: Mapped[datetime | None] = mapped_column("paidAt", PRISMA_TIMESTAMP)
    reference: Mapped[str | None] = mapped_column(Text)
    # Revision 0013. The PaymentIntent of an online payment; unique, so a webhook finds exactly one Payment.
    stripe_payment_intent_id: Mapped[str | None] = mapped_column("stripePaymentIntentId", String(255))
    # What Stripe says about the card (never the number): for the receipt.
    card_brand: Mapped[str | None] = mapped_column("cardBrand", Text)
    card_last4: Mapped[str | None] = mapped_column("cardLast4", Text)
    # Received beyond the invoice's balance when the payment succeeded: the breeder refunds or credits it.
    overpaid_cents: Mapped[int | None] = mapped_column("overpaidCents", BigInteger)

    invoice: Mapped[Invoice] = relationship(back_populates="payments")
    refunds: Mapped[list[PaymentRefund]] = relationship(back_populates="payment", order_by="PaymentRefund.id")

    @property
    def is_online(self) -> bool:
        return self.stripe_payment_intent_id is not None

    @property
    def refunded_cents(self) -> int:
        """Given back so far (revision 0016's refunds)."""
        return sum(refund.amount_cents for refund in self.refunds)

    @property
    def refundable_cents(self) -> int:
        """What a card refund may still give back: an online payment's money less its refunds; 0 otherwise."""
        if not self.is_online or self.status not in MONEY_RECEIVED:
            return 0
        return max(0, self.amount_cents - self.refunded_cents)

    @property
    def applied_cents(self) -> int:
        """What this payment pays of its invoice now: received, less the excess beyond the balance that is still
        held (overpaidCents) and less what was refunded (a refund returns the excess first, then restores the
        balance). An invoice's balance is its amount less its payments' applied_cents."""
        if self.status not in MONEY_RECEIVED:
            return 0
        return max(0, self.amount_cents - (self.overpaid_cents or 0) - self.refunded_cents)


# A payment whose money arrived: succeeded, or succeeded and then refunded in full.
MONEY_RECEIVED = (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED)


class PaymentRefund(TenantOwned, PrismaTimestamps, Base):
    """Money given back on an online payment through Stripe's Refund API (revision 0016): one row per Stripe
    refund, whole or partial. A payment refunded in full becomes `refunded`; a partial refund leaves it
    `succeeded` with these rows beside it.

    stripeRefundId is unique, so one Stripe refund is applied once whoever records it (the seller's request, the
    webhook's charge.refunded, or the next refund catching up with one made in Stripe's dashboard).
    idempotencyKey is the refund form's: a double submit finds its refund under it and refunds nothing more."""

    __tablename__ = "PaymentRefund"
    __table_args__ = (
        CheckConstraint('"amountCents" > 0', name="amountCents"),
        Index("PaymentRefund_stripeRefundId_key", "stripeRefundId", unique=True),
        Index("PaymentRefund_paymentId_idempotencyKey_key", "paymentId", "idempotencyKey", unique=True),
    )

    id: Mapped[intpk]
    payment_id: Mapped[int] = mapped_column(
        "paymentId", ForeignKey("Payment.id", ondelete="RESTRICT", onupdate="CASCADE")
    )
    amount_cents: Mapped[int] = mapped_column("amountCents", BigInteger)
    stripe_refund_id: Mapped[str] = mapped_column("stripeRefundId", String(255))
    idempotency_key: Mapped[str | None] = mapped_column("idempotencyKey", String(64))

    payment: Mapped[Payment] = relationship(back_populates="refunds")
