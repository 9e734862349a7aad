"""Invite and reset links: signed, expiring, and dead once the password changes (bound to its hash).

A contact who never had a password is bound to "no hash yet"; setting one changes that, so an
invite link works exactly once too.
"""

from __future__ import annotations

from itsdangerous import SignatureExpired

from app.links import external_url
from app.tokens import (
    PORTAL_INVITE,
    PORTAL_RESET,
    TokenInvalid,
    TokenKind,
    check_still_bound,
    make_token,
    read_token,
)
from models import Contact, Tenant
from portal.accounts.queries import portal_contact_by_id


def set_password_token(kind: TokenKind, contact: Contact) -> str:
    return make_token(kind, contact.id, bound_to=contact.portal_password_hash)


def set_password_url(kind: TokenKind, contact: Contact, tenant: Tenant) -> str:
    """The link to e-mail (or, for an invite, print): on PUBLIC_URL, never on the request's Host."""
    return external_url(
        "portal.set_password", tenant_slug=tenant.slug, token=set_password_token(kind, contact)
    )


def contact_from_set_password_token(token: str) -> Contact:
    """The contact this link is for, or TokenInvalid (tampered, expired, used, or for another portal: the
    lookup sees only the tenant of the request's URL)."""
    expired: TokenInvalid | None = None
    for kind in (PORTAL_RESET, PORTAL_INVITE):
        try:
            contact_id, token_fingerprint = read_token(kind, token)
        except TokenInvalid as error:
            if isinstance(error.__cause__, SignatureExpired):
                expired = error
            continue
        contact = portal_contact_by_id(contact_id)
        if contact is None:
            raise TokenInvalid("This link is not valid.")
        check_still_bound(token_fingerprint, contact.portal_password_hash)
        return contact
    raise expired or TokenInvalid("This link is not valid.")
