"""The client's own online payments, each narrowed to their invoices in SQL (portal.invoices.queries's rule)."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from models import Contact, Invoice, Payment
from payments.service import Payer


def payment_for_contact_or_404(contact: Contact, invoice_id: int, payment_id: int) -> Payment:
    """An online payment on one of the contact's visible invoices; anyone else's is a 404."""
    return db.one_or_404(
        select(Payment)
        .join(Invoice, Payment.invoice_id == Invoice.id)
        .where(
            Invoice.shown_to_party(contact.party_id),
            Invoice.id == invoice_id,
            Payment.id == payment_id,
            Payment.stripe_payment_intent_id.is_not(None),
        )
    )


def payer_for(contact: Contact) -> Payer:
    name = " ".join(part for part in (contact.first_name, contact.last_name) if part) or None
    email = contact.email or (contact.party.email if contact.party else None)
    return Payer(
        email=email,
        name=name or (contact.party.name if contact.party else None),
        ids={"contact_id": str(contact.id)},
    )
