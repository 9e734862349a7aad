"""Invite and reset links: signed, expiring, and dead once the password changes (bound to its hash).

A contact who never had a password is bound to "no hash yet"; setting one changes that, so an
invite link works exactly once too.
"""

from __future__ import annotations

from datetime import timedelta

from itsdangerous import SignatureExpired
from sqlalchemy import func, select

from app.extensions import db
from app.links import external_url
from app.tokens import TokenInvalid, check_still_bound, make_token, read_token
from models import ALL_TENANTS, Contact, Tenant

INVITE = "portal-invite"
RESET = "portal-reset"
MAX_AGE = {INVITE: timedelta(days=7), RESET: timedelta(hours=1)}


def portal_contact_by_email(tenant: Tenant, email: str, *, portal_only: bool = True) -> Contact | None:
    """The contact of `tenant` with this e-mail (any case). Deleted contacts never match."""
    statement = (
        select(Contact)
        .where(Contact.tenant_id == tenant.id, func.lower(Contact.email) == email.strip().lower())
        .order_by(Contact.id)
        .limit(1)
    )
    if portal_only:
        statement = statement.where(Contact.portal_enabled.is_(True))
    return db.session.scalars(statement).first()


def set_password_token(purpose: str, contact: Contact) -> str:
    return make_token(purpose, contact.id, bound_to=contact.portal_password_hash)


def set_password_url(purpose: str, contact: Contact, tenant: Tenant) -> str:
    """The link to e-mail (or, for an invite, print): on PUBLIC_URL, never on the request's Host."""
    return external_url(
        "portal.set_password", tenant_slug=tenant.slug, token=set_password_token(purpose, contact)
    )


def contact_from_set_password_token(token: str, tenant: Tenant) -> Contact:
    """The contact this link is for, or TokenInvalid (tampered, expired, used, or for another portal)."""
    expired: TokenInvalid | None = None
    for purpose in (RESET, INVITE):
        try:
            contact_id, token_fingerprint = read_token(purpose, token, int(MAX_AGE[purpose].total_seconds()))
        except TokenInvalid as error:
            if isinstance(error.__cause__, SignatureExpired):
                expired = error
            continue
        contact = db.session.scalars(
            select(Contact)
            .where(
                Contact.id == contact_id,
                Contact.tenant_id == tenant.id,
                Contact.portal_enabled.is_(True),
            )
            .execution_options(**{ALL_TENANTS: True})
        ).first()
        if contact is None:
            raise TokenInvalid("This link is not valid.")
        check_still_bound(token_fingerprint, contact.portal_password_hash)
        return contact
    raise expired or TokenInvalid("This link is not valid.")
