"""Portal account lookups. The tenant is the request's (portal.tenancy), added by models.scoping."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from models import Contact


def portal_contact_by_email(email: str) -> Contact | None:
    """The portal-enabled contact of this tenant with this e-mail (any case). Deleted contacts never match."""
    return db.session.scalars(
        select(Contact)
        .where(func.lower(Contact.email) == email.strip().lower(), Contact.portal_enabled.is_(True))
        .order_by(Contact.id)
        .limit(1)
    ).first()


def portal_contact_by_id(contact_id: int) -> Contact | None:
    return db.session.scalars(
        select(Contact).where(Contact.id == contact_id, Contact.portal_enabled.is_(True))
    ).first()
