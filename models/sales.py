"""Recorded sales: the platform fee, the allowed status moves, and invoice numbers per breeder (revision 0011).

The rules here are plain functions over ints and strings (the fee, the status moves) or one short SQL exchange
in the caller's transaction (an invoice number), so routes, commands and tests share one definition.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base
from models.marketplace import TransactionStatus

# ---- The platform fee ----------------------------------------------------------------------------------------

BPS_PER_WHOLE = 10_000  # basis points in 100 %


def _whole_number(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int (whole cents or basis points); got {type(value).__name__}")
    return value


def platform_fee_cents(amount_cents: int, fee_bps: int) -> int:
    """The marketplace's fee on a sale of amount_cents at fee_bps basis points (500 = 5 %), in whole cents.

    Integer arithmetic only (no float, no Decimal), exact for any amount a BIGINT holds and beyond. Rounding:
    half up to the cent, `(amount_cents * fee_bps + 5000) // 10000`: 10 cents at 5 % is 0.5 cent, so 1 cent;
    9 cents at 5 % is 0.45 cent, so 0. With 0 <= fee_bps <= 10000 the fee is never negative and never above the
    amount (at 10000 bps it is the whole amount)."""
    amount_cents = _whole_number("amount_cents", amount_cents)
    fee_bps = _whole_number("fee_bps", fee_bps)
    if amount_cents < 0:
        raise ValueError(f"amount_cents must not be negative; got {amount_cents}")
    if not 0 <= fee_bps <= BPS_PER_WHOLE:
        raise ValueError(f"fee_bps must be between 0 and {BPS_PER_WHOLE}; got {fee_bps}")
    return (amount_cents * fee_bps + BPS_PER_WHOLE // 2) // BPS_PER_WHOLE


def net_payout_cents(amount_cents: int, fee_bps: int) -> int:
    """What the provider receives: the amount less platform_fee_cents(amount_cents, fee_bps)."""
    return amount_cents - platform_fee_cents(amount_cents, fee_bps)


# ---- Status moves ---------------------------------------------------------------------------------------------

# MarketplaceTransaction.status. A sale is recorded pending or completed; cancelled and refunded are final.
# Plain strings from the database look these up: a StrEnum member equals and hashes as its value.
SALE_TRANSITIONS: Mapping[str, frozenset[str]] = {
    TransactionStatus.PENDING: frozenset({TransactionStatus.COMPLETED, TransactionStatus.CANCELLED}),
    TransactionStatus.COMPLETED: frozenset({TransactionStatus.REFUNDED}),
}


def can_move(from_status: str | None, to_status: str) -> bool:
    """Whether a sale in from_status may move to to_status (staying put is not a move)."""
    return to_status in SALE_TRANSITIONS.get(from_status or "", frozenset())


# ---- Invoice numbers ------------------------------------------------------------------------------------------


class InvoiceNumberCounter(Base):
    """The last number handed out for a tenant's marketplace invoices. Written only by allocate_invoice_number
    (one row per tenant, made on first use); deleting the tenant deletes its counter."""

    __tablename__ = "InvoiceNumberCounter"
    __table_args__ = (CheckConstraint("last_number >= 0", name="last_number"),)

    tenant_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("Tenant.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    last_number: Mapped[int] = mapped_column(BigInteger, server_default="0", default=0)


# Marketplace invoices get their own series beside a breeder's own numbers: SA-1004 is theirs, SA-M001 ours.
MARKETPLACE_SERIES = "M"
FALLBACK_PREFIX = "INV"

_CLAIM_NEXT = text(
    """
    INSERT INTO "InvoiceNumberCounter" AS counter (tenant_id, last_number) VALUES (:tenant_id, 1)
    ON CONFLICT (tenant_id) DO UPDATE SET last_number = counter.last_number + 1
    RETURNING last_number
    """
)
# Plain SQL: soft-deleted invoices hold their numbers too (the unique key covers them), and no scoping applies.
_NUMBER_TAKEN = text(
    'SELECT EXISTS (SELECT 1 FROM "Invoice" WHERE "tenantId" = :tenant_id AND number = :number)'
)


def invoice_number_prefix(tenant_slug: str) -> str:
    """The breeder's initials from its slug: 'sunny-acres' -> 'SA', 'oak-ridge-kennels' -> 'ORK'; a one-word
    slug gives its first two letters ('kennelworks' -> 'KE'), a slug with no letters or digits 'INV'."""
    words = [word for word in re.split(r"[^0-9A-Za-z]+", tenant_slug) if word]
    if not words:
        return FALLBACK_PREFIX
    if len(words) == 1:
        return words[0][:2].upper()
    return "".join(word[0] for word in words[:4]).upper()


def format_invoice_number(prefix: str, number: int) -> str:
    """'SA', 2 -> 'SA-M002' (three digits at least, more as the series grows: 'SA-M1000')."""
    return f"{prefix}-{MARKETPLACE_SERIES}{number:03d}"


def allocate_invoice_number(session: Session, tenant_id: int, *, prefix: str | None = None) -> str:
    """The next free marketplace invoice number for this tenant, like 'SA-M002', in the caller's transaction.

    Race-free: claiming a number is one INSERT ... ON CONFLICT DO UPDATE ... RETURNING on the tenant's counter
    row, whose row lock a concurrent allocation for the same tenant waits on until this transaction ends; under
    READ COMMITTED (the default) it then reads the committed value and takes the next number. So call it just
    before inserting the invoice, and commit soon: the tenant's other allocations queue behind this transaction.
    If the transaction rolls back, so does the counter (no gap). A REPEATABLE READ or SERIALIZABLE caller gets a
    serialization failure instead of waiting, and must retry.

    A number already used by any invoice of the tenant (soft-deleted ones included, and numbers written by other
    apps) is skipped, so the first call for the demo's Sunny Acres, which already has SA-M001, returns SA-M002.
    The unique key Invoice_tenantId_number_key stays the last guard against a writer that bypasses the counter.

    prefix defaults to invoice_number_prefix(tenant's slug); LookupError if the tenant does not exist.
    """
    if prefix is None:
        slug = session.execute(text('SELECT slug FROM "Tenant" WHERE id = :id'), {"id": tenant_id}).scalar()
        if slug is None:
            raise LookupError(f"No tenant with id {tenant_id}.")
        prefix = invoice_number_prefix(slug)
    while True:
        number = session.execute(_CLAIM_NEXT, {"tenant_id": tenant_id}).scalar_one()
        candidate = format_invoice_number(prefix, number)
        taken = session.execute(_NUMBER_TAKEN, {"tenant_id": tenant_id, "number": candidate}).scalar_one()
        if not taken:
            return candidate
