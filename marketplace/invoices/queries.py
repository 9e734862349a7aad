"""A marketplace user's invoices, from every breeder (tenant) where a Contact is linked to them.

Authorization, twice over. The pages read inside marketplace_user_scope (marketplace/access.py): the breeders
where the user has a client record are bound as app.tenant_ids (models.scoping), so the database shows those
breeders' rows only, and writes none of them. And every query in this module restricts to the user's linked contacts itself: a Contact with `marketplaceUserId` = the user and
not soft-deleted; an invoice is the user's when it belongs to such a contact's tenant and party and a client may
see it (`Invoice.shown_to_party`: never drafts). Soft-deleted invoices are hidden by models.scoping.

The list is bounded per breeder: the newest PER_BREEDER_LIMIT invoices of each (a LATERAL subquery per linked
contact over Invoice_clientPartyId_createdAt_idx); the balance due still adds up every open invoice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, and_, func, select, true
from sqlalchemy.orm import aliased, joinedload, selectinload

from app.extensions import db
from marketplace.access import linked_tenant_ids, marketplace_user_scope
from models import Contact, Invoice, MarketplaceUser, Payment, Tenant
from models.billing import MONEY_RECEIVED

PER_BREEDER_LIMIT = 100


def _linked_contact(user_id: int) -> ColumnElement[bool]:
    """The authorization rule: the user's own client records, one per breeder at most."""
    return and_(Contact.marketplace_user_id == user_id, Contact.deleted_at.is_(None))


def _invoice_of_contact() -> ColumnElement[bool]:
    """Join condition: the contact's breeder and party, and only what a client may see."""
    return and_(Invoice.tenant_id == Contact.tenant_id, Invoice.shown_to_party(Contact.party_id))


def _invoices_of(user_id: int) -> Select[tuple[Invoice]]:
    return select(Invoice).join(Contact, _invoice_of_contact()).where(_linked_contact(user_id))


def invoice_for_marketplace_user_or_404(user: MarketplaceUser, invoice_id: int) -> Invoice:
    """The invoice with what its page shows, if it is this user's; otherwise 404 (whether or not it exists)."""
    return db.one_or_404(
        _invoices_of(user.id)
        .where(Invoice.id == invoice_id)
        .options(
            joinedload(Invoice.tenant),
            joinedload(Invoice.client_party),
            joinedload(Invoice.marketplace_transaction),
            selectinload(Invoice.line_items),
            selectinload(Invoice.payments).selectinload(Payment.refunds),
        )
    )


def _payment_of(user_id: int, invoice_id: int, payment_id: int) -> Select[tuple[Payment]]:
    return (
        select(Payment)
        .join(Invoice, Payment.invoice_id == Invoice.id)
        .join(Contact, _invoice_of_contact())
        .where(_linked_contact(user_id), Invoice.id == invoice_id, Payment.id == payment_id)
    )


def payment_for_marketplace_user_or_404(user: MarketplaceUser, invoice_id: int, payment_id: int) -> Payment:
    """An online payment on one of the user's invoices (the rule above); anyone else's is a 404."""
    return db.one_or_404(
        _payment_of(user.id, invoice_id, payment_id).where(Payment.stripe_payment_intent_id.is_not(None))
    )


def receipt_for_marketplace_user_or_404(user: MarketplaceUser, invoice_id: int, payment_id: int) -> Payment:
    """A payment whose money arrived, on one of the user's invoices, with what its receipt shows (its invoice's
    breeder and client); anyone else's, or one that never arrived, is a 404."""
    return db.one_or_404(
        _payment_of(user.id, invoice_id, payment_id)
        .where(Payment.status.in_(MONEY_RECEIVED))
        .options(
            selectinload(Payment.refunds),
            joinedload(Payment.invoice).options(joinedload(Invoice.tenant), joinedload(Invoice.client_party)),
        )
    )


def tenant_of_users_invoice_or_404(user_id: int, invoice_id: int) -> int:
    """The breeder of one of the user's invoices (the rule above); anyone else's is a 404."""
    with marketplace_user_scope(user_id):
        return db.one_or_404(
            _invoices_of(user_id).with_only_columns(Invoice.tenant_id).where(Invoice.id == invoice_id)
        )


def linked_contact_id(user: MarketplaceUser, tenant_id: int) -> int | None:
    """The user's client record at this breeder (at most one: Contact_marketplaceUserId_tenantId_key)."""
    return db.session.scalar(
        select(Contact.id).where(_linked_contact(user.id), Contact.tenant_id == tenant_id).limit(1)
    )


def open_invoice_count(user_id: int) -> int:
    """Open invoices with money owed, over every linked breeder (the nav badge). One statement: the contacts by
    Contact_marketplaceUserId_tenantId_key, their invoices by Invoice_clientPartyId_status_idx."""
    if not linked_tenant_ids(user_id):
        return 0  # no breeder links this user: nothing to count, and no statement to build or run
    statement = (
        select(func.count())
        .select_from(Invoice)
        .join(Contact, _invoice_of_contact())
        .where(_linked_contact(user_id), Invoice.owing_criterion())
    )
    with marketplace_user_scope(user_id):
        return db.session.scalar(statement) or 0


@dataclass
class BalanceDue:
    currency: str
    cents: int


@dataclass
class BreederInvoices:
    """One breeder's group on the page: what is owed there (per currency, never added across) and the invoices."""

    tenant_id: int
    name: str
    due: list[BalanceDue] = field(default_factory=list)
    invoices: list[Invoice] = field(default_factory=list)
    has_more: bool = False


def _breeders_with_balances(user_id: int) -> list[BreederInvoices]:
    """Every linked breeder by name, with its balance due per currency (even a breeder with no invoices)."""
    rows = db.session.execute(
        select(Tenant.id, Tenant.name, Invoice.currency, func.sum(Invoice.balance_cents))
        .select_from(Contact)
        .join(Tenant, Tenant.id == Contact.tenant_id)
        .outerjoin(Invoice, and_(_invoice_of_contact(), Invoice.owing_criterion()))
        .where(_linked_contact(user_id))
        .group_by(Tenant.id, Tenant.name, Invoice.currency)
        .order_by(Tenant.name, Tenant.id, Invoice.currency)
    )
    breeders: dict[int, BreederInvoices] = {}
    for tenant_id, name, currency, due in rows:
        breeder = breeders.setdefault(tenant_id, BreederInvoices(tenant_id, name))
        if currency is not None:
            breeder.due.append(BalanceDue(currency, int(due)))
    return list(breeders.values())


def _newest_invoices(user_id: int) -> list[Invoice]:
    """Each linked contact's newest PER_BREEDER_LIMIT + 1 invoices (one more, to know there are more)."""
    newest = (
        select(Invoice)
        .where(_invoice_of_contact())
        .order_by(Invoice.created_at.desc(), Invoice.id.desc())
        .limit(PER_BREEDER_LIMIT + 1)
        .lateral("newest")
    )
    invoice = aliased(Invoice, newest)
    return list(
        db.session.scalars(
            select(invoice)
            .select_from(Contact)
            .join(newest, true())
            .where(_linked_contact(user_id))
            .order_by(invoice.tenant_id, invoice.created_at.desc(), invoice.id.desc())
        )
    )


def invoices_by_breeder(user: MarketplaceUser) -> list[BreederInvoices]:
    """The user's invoices grouped by breeder (by name), newest first in each group. Two statements."""
    breeders = _breeders_with_balances(user.id)
    by_tenant = {breeder.tenant_id: breeder for breeder in breeders}
    for found in _newest_invoices(user.id):
        breeder = by_tenant.get(found.tenant_id)
        if breeder is None:  # linked between the two statements: it shows on the next visit
            continue
        if len(breeder.invoices) < PER_BREEDER_LIMIT:
            breeder.invoices.append(found)
        else:
            breeder.has_more = True
    return breeders
