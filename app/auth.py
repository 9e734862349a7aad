"""One signed-in identity per browser session: a portal Contact or a MarketplaceUser, never both.

Each sign-in is a server-side record (app.sessions, models.SignInSession); the cookie carries only its random
token, so signing out, "sign out everywhere else" and a password change end a session at once, for every copy
of the cookie. The record also carries a fingerprint of the password hash, so a password changed by any means
ends every other session of that account. Sessions end after SESSION_IDLE_LIMIT without a request and
SESSION_ABSOLUTE_LIMIT after sign-in, checked on the server from the record's times.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, current_app, flash, g, request, session
from flask_login import UserMixin, current_user, login_user, logout_user
from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import contains_eager

from app import sessions
from app.extensions import db, login_manager
from app.local_time import remember_browser_zone
from app.security_events import SecurityAction, record_security_event
from app.sessions import IdentityKind
from app.tokens import fingerprint
from models import Contact, MarketplaceUser, SessionEndReason, SignInSession, Tenant, cross_tenant
from models.scoping import prebuilt

V = TypeVar("V", bound=Callable[..., Any])
KIND_LABELS = {"contact": "the client portal", "marketplace": "the marketplace"}
# One contact, by the id in this browser's signed session, wherever it is: portal.access then refuses a contact
# outside its own breeder's portal, and the marketplace can say which portal it signs out of.
SESSION_CONTACT = "the signed-in contact of this session"
# Which breeders hold a client record of a marketplace user can only be learnt from every breeder's contacts. The
# session lookup reads them in the same statement (the user's own contacts: their id, not deleted, and nothing else)
# for marketplace.access, which scopes the user's pages to those breeders.
LINKED_BREEDERS = "finding the breeders that link a marketplace user to a client record"
# flask.g: marketplace user id -> the ids of the breeders linking them, read this request (marketplace.access).
LINKED_TENANT_IDS = "linked_tenant_ids"


@dataclass(eq=False)
class SignedIn(UserMixin):
    kind: IdentityKind
    record: Contact | MarketplaceUser
    session_record: SignInSession
    token: str

    def get_id(self) -> str:
        return f"{self.kind}:{self.token}"

    @property
    def account_key(self) -> str:
        """The account, whichever session it signed in with: for limits that are per person."""
        return f"{self.kind}:{self.record.id}"

    @property
    def contact(self) -> Contact | None:
        return self.record if self.kind == "contact" else None  # type: ignore[return-value]

    @property
    def marketplace_user(self) -> MarketplaceUser | None:
        return self.record if self.kind == "marketplace" else None  # type: ignore[return-value]

    @property
    def display_name(self) -> str:
        return self.record.display_name


def _password_hash(record: Contact | MarketplaceUser) -> str | None:
    if isinstance(record, Contact):
        return record.portal_password_hash
    return record.password_hash


def credential_fingerprint(record: Contact | MarketplaceUser) -> str:
    return fingerprint(_password_hash(record))


# The open session with this token's hash, and its account: one statement per signed-in request, built once.
_SESSION_MATCHES = (SignInSession.token_hash == bindparam("token_hash")) & SignInSession.ended_at.is_(None)
# A contact's breeder comes with it: the portal's tenant by the URL's slug is then the one already loaded
# (portal.tenancy), without a statement of its own.
_CONTACT_SESSION = prebuilt(
    select(Contact, SignInSession)
    .join(SignInSession, SignInSession.contact_id == Contact.id)
    .join(Tenant, Tenant.id == Contact.tenant_id)
    .where(_SESSION_MATCHES, Contact.portal_enabled.is_(True))
    .options(contains_eager(Contact.tenant))
)


def linked_tenants(user_id: Any) -> Select[tuple[int]]:
    """The breeders holding a client record of this marketplace user (run it in cross_tenant(LINKED_BREEDERS))."""
    return (
        select(Contact.tenant_id)
        .where(Contact.marketplace_user_id == user_id, Contact.deleted_at.is_(None))
        .distinct()
    )


_LINKED_TENANTS = func.array(linked_tenants(MarketplaceUser.id).scalar_subquery())
_MARKETPLACE_SESSION = prebuilt(
    select(MarketplaceUser, SignInSession, _LINKED_TENANTS)
    .join(SignInSession, SignInSession.marketplace_user_id == MarketplaceUser.id)
    .where(_SESSION_MATCHES, MarketplaceUser.in_good_standing)
)


def _load_identity(identity_id: str) -> SignedIn | None:
    kind, _, token = identity_id.partition(":")
    if not token or len(token) > sessions.TOKEN_MAX_LENGTH:
        return None
    parameters = {"token_hash": sessions.token_hash(token)}
    found: Any
    if kind == "contact":
        with cross_tenant(SESSION_CONTACT):
            found = db.session.execute(_CONTACT_SESSION, parameters).one_or_none()
    elif kind == "marketplace":
        with cross_tenant(LINKED_BREEDERS):
            found = db.session.execute(_MARKETPLACE_SESSION, parameters).one_or_none()
    else:
        return None
    if found is None:
        return None
    record, session_record, *linked = found
    if credential_fingerprint(record) != session_record.credential_fingerprint:
        return None
    if linked:
        g.setdefault(LINKED_TENANT_IDS, {})[record.id] = tuple(linked[0])
    return SignedIn(kind, record, session_record, token)  # type: ignore[arg-type]


def issue_session(kind: IdentityKind, record: Contact | MarketplaceUser) -> str:
    """A new server-side session for this account (flushed, not committed); the identity for the cookie."""
    _row, token = sessions.start(kind, record.id, credential_fingerprint(record))
    return f"{kind}:{token}"


def sign_in(kind: IdentityKind, record: Contact | MarketplaceUser) -> None:
    """Start a fresh session for this identity and commit it: nothing of the previous session survives (no
    fixation), and the previous session's record is ended."""
    previous_kind = current_user.kind if current_user.is_authenticated else None
    remember_browser_zone(record)  # committed below, with the new session
    if current_user.is_authenticated:
        sessions.end(current_user.session_record, SessionEndReason.SIGNED_OUT)
    logout_user()
    session.clear()
    session.permanent = True
    row, token = sessions.start(kind, record.id, credential_fingerprint(record))
    record_security_event(record, SecurityAction.SIGNED_IN)
    db.session.commit()
    login_user(SignedIn(kind, record, row, token))
    if previous_kind and previous_kind != kind:
        flash(f"You were signed out of {KIND_LABELS[previous_kind]}.", "info")


def refresh_identity() -> None:
    """After a password change (the new hash is set on the record): keep this session, bound to the new password, and
    end every other session of the account. Commits."""
    if not current_user.is_authenticated:
        return
    current_user.session_record.credential_fingerprint = credential_fingerprint(current_user.record)
    sessions.end_all(
        current_user.kind,
        current_user.record.id,
        SessionEndReason.PASSWORD_CHANGED,
        except_id=current_user.session_record.id,
    )
    db.session.commit()


def sign_out(
    reason: SessionEndReason = SessionEndReason.SIGNED_OUT, action: SecurityAction = SecurityAction.SIGNED_OUT
) -> None:
    """End this browser's session on the server (so a copied cookie fails too) and forget it here."""
    if current_user.is_authenticated:
        sessions.end(current_user.session_record, reason)
        record_security_event(current_user.record, action)
        db.session.commit()
    logout_user()
    session.clear()


def background_request(view: V) -> V:
    """Mark a view the page calls on its own (a poll every few seconds). It does not count as the person being
    active, so an open tab does not hold an idle session open until the absolute limit."""
    view.background_request = True  # type: ignore[attr-defined]
    return view


def _is_background_request() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "background_request", False))


def _enforce_session_limits() -> None:
    if request.endpoint == "static" or "_user_id" not in session or not current_user.is_authenticated:
        return
    if sessions.has_expired(current_user.session_record):
        sign_out(SessionEndReason.EXPIRED, SecurityAction.SESSION_EXPIRED)
        flash("Your session expired. Please sign in again.", "info")
        return
    if not _is_background_request() and sessions.touch(current_user.session_record):
        db.session.commit()  # before the view runs, so it writes nothing of the view's


def init_app(app: Flask) -> None:
    login_manager.user_loader(_load_identity)
    login_manager.session_protection = None  # server-side records do this job
    login_manager.login_view = "marketplace.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    app.before_request(_enforce_session_limits)
