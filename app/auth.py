"""One signed-in identity per browser session: a portal Contact or a MarketplaceUser, never both.

The identity id carries a fingerprint of the password hash, so changing a password ends every other
session of that account. Sessions also end after SESSION_IDLE_LIMIT without a request and
SESSION_ABSOLUTE_LIMIT after sign-in, checked on the server (not only by cookie expiry).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from flask import Flask, current_app, flash, request, session
from flask_login import UserMixin, current_user, login_user, logout_user
from sqlalchemy import select

from app.extensions import db, login_manager
from app.tokens import fingerprint
from models import Contact, MarketplaceUser, cross_tenant

IdentityKind = Literal["contact", "marketplace"]
V = TypeVar("V", bound=Callable[..., Any])
KIND_LABELS = {"contact": "the client portal", "marketplace": "the marketplace"}
# One contact, by the id in this browser's signed session, wherever it is: portal.access then refuses a contact
# outside its own breeder's portal, and the marketplace can say which portal it signs out of.
SESSION_CONTACT = "the signed-in contact of this session"


@dataclass(eq=False)
class SignedIn(UserMixin):
    kind: IdentityKind
    record: Contact | MarketplaceUser

    def get_id(self) -> str:
        return f"{self.kind}:{self.record.id}:{fingerprint(_password_hash(self.record))}"

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


def _load_identity(identity_id: str) -> SignedIn | None:
    try:
        kind, raw_id, fp = identity_id.split(":", 2)
        record_id = int(raw_id)
    except ValueError:
        return None
    record: Contact | MarketplaceUser | None
    if kind == "contact":
        with cross_tenant(SESSION_CONTACT):
            record = db.session.scalars(
                select(Contact).where(Contact.id == record_id, Contact.portal_enabled.is_(True))
            ).one_or_none()
    elif kind == "marketplace":
        record = db.session.get(MarketplaceUser, record_id)
        if record is not None and not record.in_good_standing:
            record = None
    else:
        return None
    if record is None or fingerprint(_password_hash(record)) != fp:
        return None
    return SignedIn(kind, record)  # type: ignore[arg-type]


def _now_ts() -> float:
    return datetime.now(UTC).timestamp()


def sign_in(kind: IdentityKind, record: Contact | MarketplaceUser) -> None:
    """Start a fresh session for this identity: nothing of the previous session survives (no fixation)."""
    previous_kind = current_user.kind if current_user.is_authenticated else None
    logout_user()
    session.clear()
    session.permanent = True
    login_user(SignedIn(kind, record))
    now = _now_ts()
    session["auth_at"] = now
    session["seen_at"] = now
    if previous_kind and previous_kind != kind:
        flash(f"You were signed out of {KIND_LABELS[previous_kind]}.", "info")


def refresh_identity() -> None:
    """After a password change: keep this session, with the new fingerprint; every other session ends."""
    if current_user.is_authenticated:
        login_user(SignedIn(current_user.kind, current_user.record))


def sign_out() -> None:
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
    if "auth_at" not in session:
        return
    now = _now_ts()
    idle = current_app.config["SESSION_IDLE_LIMIT"].total_seconds()
    absolute = current_app.config["SESSION_ABSOLUTE_LIMIT"].total_seconds()
    if now - session.get("seen_at", 0) > idle or now - session["auth_at"] > absolute:
        sign_out()
        flash("Your session expired. Please sign in again.", "info")
        return
    if not _is_background_request():
        session["seen_at"] = now


def init_app(app: Flask) -> None:
    login_manager.user_loader(_load_identity)
    login_manager.session_protection = None  # sessions are bound by the password fingerprint and time limits
    login_manager.login_view = "marketplace.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    app.before_request(_enforce_session_limits)
