"""Who pays when a marketplace user pays: their Stripe Customer (MarketplaceUser.stripe_customer_id, the spec's
column), kept across payments and made on the first one."""

from __future__ import annotations

from sqlalchemy import update

from app.extensions import db
from marketplace.invoices.queries import linked_contact_id
from models import Invoice, MarketplaceUser
from payments.service import Payer


def _keep_customer(user_id: int):
    def keep(customer_id: str) -> None:
        db.session.execute(
            update(MarketplaceUser)
            .where(MarketplaceUser.id == user_id)
            .values(stripe_customer_id=customer_id)
            .execution_options(synchronize_session="fetch")
        )

    return keep


def payer_for(user: MarketplaceUser, invoice: Invoice) -> Payer:
    """The user as the payer of this invoice: their e-mail gets the receipt; the intent's metadata names them and
    their client record at the invoice's breeder."""
    ids = {"marketplace_user_id": str(user.id)}
    contact_id = linked_contact_id(user, invoice.tenant_id)
    if contact_id is not None:
        ids["contact_id"] = str(contact_id)
    return Payer(
        email=user.email,
        name=user.display_name,
        ids=ids,
        customer_id=user.stripe_customer_id,
        keep_customer=_keep_customer(user.id),
    )
