"""Writing sales: record one (with its deal card in the conversation), move its status, and invoice it.

Each function works in the caller's transaction and leaves the commit to it, so a refusal rolls back everything.
Lock order, the same everywhere: the sale's row, then the buyer's advisory lock, then the tenant's invoice-number
counter, then the conversation's row (its deal-card message). A status move and an invoice of one sale queue on
the sale's row; two first invoices for one buyer queue on the advisory lock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.links import external_url
from app.mail import send_template
from app.money import format_money
from marketplace.access import forget_linked_tenant_ids
from marketplace.messaging.sending import PendingNotification, SendRefused, post_sale_message
from marketplace.sales.forms import SaleDetails
from marketplace.sales.queries import invoice_of_sale, sale_for_tenant_or_404
from models import (
    ActorKind,
    Contact,
    Invoice,
    InvoiceLineItem,
    InvoiceStatus,
    MarketplaceTransaction,
    MarketplaceUser,
    Message,
    MessageThread,
    Party,
    PartyType,
    Payment,
    PaymentStatus,
    Tenant,
    TransactionStatus,
    allocate_invoice_number,
    can_move,
    platform_fee_cents,
    record_audit,
)
from models.types import utcnow
from payments.queries import card_money

log = logging.getLogger(__name__)

SALE_TABLE = "MarketplaceTransaction"
INVOICEABLE = (TransactionStatus.PENDING, TransactionStatus.COMPLETED)
ALREADY_INVOICED = "This sale already has an invoice."
PAID_BY_CARD = (
    "This sale was paid by card: use “Refund by card”, so the money goes back to the buyer's card. "
    "“Mark refunded” is for sales paid off the platform."
)


class SaleRefused(Exception):
    """Nothing may change. `status` is the HTTP answer (409)."""

    def __init__(self, reason: str, status: int = 409) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def sale_snapshot(sale: MarketplaceTransaction) -> dict[str, Any]:
    """The sale's fields as plain JSON values, for the audit trail."""
    return {
        "id": sale.id,
        "provider_tenant_id": sale.provider_tenant_id,
        "provider_user_id": sale.provider_user_id,
        "client_user_id": sale.client_user_id,
        "client_party_id": sale.client_party_id,
        "client_description": sale.client_description,
        "service_listing_id": sale.service_listing_id,
        "service_description": sale.service_description,
        "amount_cents": sale.amount_cents,
        "platform_fee_cents": sale.platform_fee_cents,
        "net_payout_cents": sale.net_payout_cents,
        "currency": sale.currency,
        "transaction_date": sale.transaction_date.isoformat(),
        "status": sale.status,
        "payment_method": sale.payment_method,
        "notes": sale.notes,
    }


def _audit(
    actor: MarketplaceUser, action: str, table: str, subject_id: int, tenant_id: int, **change
) -> None:
    record_audit(
        db.session,
        actor_kind=ActorKind.MARKETPLACE_USER,
        actor_id=actor.id,
        action=action,
        subject_table=table,
        subject_id=subject_id,
        tenant_id=tenant_id,
        **change,
    )


# --- recording -------------------------------------------------------------------------------------------------


def deal_text(sale: MarketplaceTransaction) -> str:
    return f"Recorded a sale: {format_money(sale.amount_cents, sale.currency)} — {sale.service_description}"


def record_sale(
    seller: MarketplaceUser,
    details: SaleDetails,
    *,
    thread: MessageThread | None = None,
    party: Party | None = None,
    client_description: str | None = None,
) -> tuple[MarketplaceTransaction, PendingNotification | None]:
    """A pending sale of the seller's breeder, its audit event, and (from a conversation) the deal-card message in
    it. SendRefused (409) if that conversation is blocked: the caller rolls back."""
    assert seller.tenant_id is not None
    amount = details.amount_cents
    fee = platform_fee_cents(amount, current_app.config["MARKETPLACE_FEE_BPS"])
    sale = MarketplaceTransaction(
        provider_tenant_id=seller.tenant_id,
        provider_user_id=seller.id,
        client_user_id=thread.buyer_user_id if thread else None,
        client_party_id=party.id if party else None,
        client_description=client_description or None,
        service_listing_id=thread.listing_id if thread else None,
        service_description=details.description,
        amount_cents=amount,
        currency="USD",
        platform_fee_cents=fee,
        net_payout_cents=amount - fee,
        transaction_date=details.transaction_date,
        status=TransactionStatus.PENDING,
        payment_method=details.payment_method,
        notes=details.notes,
    )
    db.session.add(sale)
    db.session.flush()
    _audit(seller, "sale.recorded", SALE_TABLE, sale.id, seller.tenant_id, after=sale_snapshot(sale))
    notification = None
    if thread is not None:
        notification = post_sale_message(thread.id, seller, deal_text(sale), sale.id)
    return sale, notification


def announce(sale: MarketplaceTransaction, message: str, *, notify: bool) -> PendingNotification | None:
    """An event message on the sale's deal card in its conversation, from that conversation's seller. Skipped
    (the change still stands) when the sale was not recorded in a conversation or it is blocked meanwhile.
    Used by every change a sale goes through: its moves and invoice here, a card payment and its refunds
    (paid_online.py, refunding.py). Call it after the sale's row is locked (the conversation's row comes next)."""
    row = db.session.execute(
        select(Message.thread_id, MessageThread.seller_user_id)
        .join(MessageThread, MessageThread.id == Message.thread_id)
        .where(Message.marketplace_transaction_id == sale.id)
        .order_by(Message.id)
        .limit(1)
    ).one_or_none()
    if row is None:
        return None
    seller = db.session.get(MarketplaceUser, row.seller_user_id)
    if seller is None:
        return None
    try:
        return post_sale_message(row.thread_id, seller, message, sale.id, notify=notify)
    except SendRefused:  # raised before anything was written
        return None


# --- status moves ----------------------------------------------------------------------------------------------


def move_sale(
    sale_id: int, tenant_id: int, to_status: str, actor: MarketplaceUser
) -> tuple[MarketplaceTransaction, PendingNotification | None]:
    """pending → completed or cancelled, completed → refunded (models.sales.can_move); SaleRefused otherwise.
    The sale's row is locked first, so two moves of one sale are judged one after the other. Marking a sale
    refunded is for money returned off the platform: a sale with card money left to refund is refunded through
    Stripe instead (refunding.py)."""
    sale = sale_for_tenant_or_404(sale_id, tenant_id, lock=True)
    before = sale.status or TransactionStatus.COMPLETED
    if not can_move(before, to_status):
        if to_status == before:
            raise SaleRefused(f"This sale is already {before}.")
        raise SaleRefused(f"A {before} sale cannot be marked {to_status}.")
    invoice = invoice_of_sale(sale.id)
    if to_status == TransactionStatus.REFUNDED and invoice is not None:
        received, refunded = card_money(invoice.id)
        if received > refunded:
            raise SaleRefused(PAID_BY_CARD)
    if invoice is not None and invoice.deleted_at is None:
        _settle_invoice(invoice, sale, to_status, actor, tenant_id)
    sale.status = to_status
    db.session.flush()
    _audit(
        actor,
        "sale.status_changed",
        SALE_TABLE,
        sale.id,
        tenant_id,
        before={"status": before},
        after={"status": to_status},
    )
    return sale, announce(sale, f"Sale marked {to_status}", notify=True)


def _settle_invoice(
    invoice: Invoice, sale: MarketplaceTransaction, to_status: str, actor: MarketplaceUser, tenant_id: int
) -> None:
    """Keep an invoiced sale and its invoice telling the same story:
    - completed (paid off the platform): what is still owed is recorded as a payment with the sale's method, and
      the invoice is paid;
    - cancelled: the invoice is void, unless money was already received on it (then refunding is the way);
    - refunded: the invoice is left as it is; refunds are recorded against the payments they return."""
    before = {"status": invoice.status, "balance_cents": invoice.balance_cents}
    if to_status == TransactionStatus.COMPLETED and invoice.balance_cents > 0:
        invoice.payments.append(
            Payment(
                tenant_id=tenant_id,
                amount_cents=invoice.balance_cents,
                status=PaymentStatus.SUCCEEDED,
                method=sale.payment_method,
                paid_at=utcnow(),
                reference=f"Sale {sale.id} marked completed",
            )
        )
        invoice.balance_cents = 0
        invoice.status = InvoiceStatus.PAID
    elif to_status == TransactionStatus.CANCELLED:
        if invoice.balance_cents != invoice.amount_cents:
            raise SaleRefused(
                f"Invoice {invoice.number} has payments on it: record a refund instead of cancelling the sale."
            )
        invoice.status = InvoiceStatus.VOID
        invoice.balance_cents = 0
    else:
        return
    _audit(
        actor,
        "invoice.settled_by_sale",
        "Invoice",
        invoice.id,
        tenant_id,
        before=before,
        after={"status": invoice.status, "balance_cents": invoice.balance_cents},
    )


# --- invoices --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceMail:
    """The e-mail to the buyer, sent after commit."""

    to: str
    name: str
    number: str
    amount: str
    breeder: str
    description: str
    due: datetime | None
    paid: bool


def _buyer_party_id(sale: MarketplaceTransaction, tenant_id: int) -> int | None:
    """The breeder's party for the sale's buyer: the contact linked to that marketplace user, or a new party and
    contact. A transaction-scoped advisory lock per (tenant, user) makes two first invoices for one buyer find
    or create one contact; the unique ("marketplaceUserId", "tenantId") index is the last guard."""
    user_id = sale.client_user_id
    assert user_id is not None
    db.session.execute(
        text("SELECT pg_advisory_xact_lock(:tenant_id, :user_id)"),
        {"tenant_id": tenant_id, "user_id": user_id},
    )
    contact = db.session.scalars(
        select(Contact)
        .where(Contact.tenant_id == tenant_id, Contact.marketplace_user_id == user_id)
        .execution_options(include_deleted=True)  # a removed contact still holds the unique slot
    ).first()
    if contact is not None:
        return contact.party_id
    user = db.session.get(MarketplaceUser, user_id)
    if user is None:
        return None
    party = Party(tenant_id=tenant_id, type=PartyType.PERSON, name=user.display_name, email=user.email)
    db.session.add(
        Contact(
            tenant_id=tenant_id,
            party=party,
            first_name=user.first_name,
            last_name=user.last_name,
            email=user.email,
            marketplace_user_id=user.id,
        )
    )
    db.session.flush()
    forget_linked_tenant_ids(user.id)  # now linked to this breeder, should they be the one signed in
    return party.id


def create_invoice(
    sale_id: int, tenant_id: int, actor: MarketplaceUser
) -> tuple[Invoice, InvoiceMail | None]:
    """The sale's one invoice in its breeder's books: issued with the amount due for a pending sale, paid (with a
    succeeded payment on the sale's date) for a completed one. SaleRefused for a cancelled or refunded sale, or
    one already invoiced (also when a concurrent request got there first: the caller rolls back)."""
    sale = sale_for_tenant_or_404(sale_id, tenant_id, lock=True)
    status = sale.status or TransactionStatus.COMPLETED
    if status not in INVOICEABLE:
        raise SaleRefused(f"A {status} sale cannot be invoiced.")
    if invoice_of_sale(sale.id) is not None:
        raise SaleRefused(ALREADY_INVOICED)

    buyer = db.session.get(MarketplaceUser, sale.client_user_id) if sale.client_user_id else None
    party_id = sale.client_party_id
    if party_id is None and buyer is not None:
        party_id = _buyer_party_id(sale, tenant_id)
        sale.client_party_id = party_id
    number = allocate_invoice_number(db.session, tenant_id)
    now = utcnow()
    paid = status == TransactionStatus.COMPLETED
    invoice = Invoice(
        tenant_id=tenant_id,
        client_party_id=party_id,
        number=number,
        status=InvoiceStatus.PAID if paid else InvoiceStatus.ISSUED,
        amount_cents=sale.amount_cents,
        balance_cents=0 if paid else sale.amount_cents,
        currency=sale.currency or "USD",
        issued_at=now,
        due_at=now + timedelta(days=current_app.config["INVOICE_DUE_DAYS"]),
        marketplace_transaction_id=sale.id,
        is_marketplace_invoice=True,
        line_items=[
            InvoiceLineItem(
                tenant_id=tenant_id,
                position=0,
                description=sale.service_description,
                quantity=1,
                unit_price_cents=sale.amount_cents,
                amount_cents=sale.amount_cents,
            )
        ],
    )
    if paid:
        invoice.payments.append(
            Payment(
                tenant_id=tenant_id,
                amount_cents=sale.amount_cents,
                status=PaymentStatus.SUCCEEDED,
                method=sale.payment_method,
                paid_at=datetime.combine(sale.transaction_date, time()),
            )
        )
    db.session.add(invoice)
    try:
        db.session.flush()
    except IntegrityError as error:  # the session must be rolled back: the caller does, on SaleRefused
        if "Invoice_marketplaceTransactionId_key" in str(error.orig):
            raise SaleRefused(ALREADY_INVOICED) from error
        raise
    _audit(
        actor,
        "invoice.created",
        "Invoice",
        invoice.id,
        tenant_id,
        after={
            "number": number,
            "status": invoice.status,
            "amount_cents": invoice.amount_cents,
            "balance_cents": invoice.balance_cents,
            "currency": invoice.currency,
            "client_party_id": party_id,
            "marketplace_transaction_id": sale.id,
            "due_at": invoice.due_at.isoformat() if invoice.due_at else None,
        },
    )
    announce(sale, f"Invoice {number} issued", notify=False)
    mail = None
    if buyer is not None and buyer.in_good_standing:
        breeder = db.session.get(Tenant, tenant_id)
        mail = InvoiceMail(
            to=buyer.email,
            name=buyer.display_name,
            number=number,
            amount=format_money(sale.amount_cents, sale.currency),
            breeder=breeder.name if breeder else "",
            description=sale.service_description,
            due=invoice.due_at,
            paid=paid,
        )
    return invoice, mail


def send_invoice_mail(mail: InvoiceMail | None) -> None:
    """After commit, with a link to "My invoices". A mail failure must not undo or fail the stored invoice."""
    if mail is None:
        return
    try:
        send_template(mail.to, "invoice_created", mail=mail, link=external_url("marketplace.my_invoices"))
    except Exception:
        log.exception("could not send the invoice e-mail for %s", mail.number)
