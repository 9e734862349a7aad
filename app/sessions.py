"""Server-side sign-in sessions (models.SignInSession): start, find, touch, list and end them.

The browser's cookie carries a random token (256 bits); the database keeps only its SHA-256, and a request finds
its session by that hash, so nothing is compared byte by byte and a stolen copy of the table signs no one in.

last_used_at is written at most once per TOUCH_EVERY, so a busy page does not write on every request; the idle
limit is therefore exact to within that minute.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Literal

from flask import current_app, has_request_context, request
from sqlalchemy import ColumnElement, select, update

from app.extensions import db
from models import SessionEndReason, SignInSession
from models.security import USER_AGENT_MAX
from models.types import utcnow

IdentityKind = Literal["contact", "marketplace"]
TOUCH_EVERY = timedelta(minutes=1)
TOKEN_BYTES = 32
TOKEN_MAX_LENGTH = 100  # a token_urlsafe(32) is 43 characters; anything much longer is not ours


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def owned_by(kind: IdentityKind, account_id: int, model: type = SignInSession) -> ColumnElement[bool]:
    """The rows of this one account (models.security.AccountOwned)."""
    column = model.contact_id if kind == "contact" else model.marketplace_user_id
    return column == account_id


def _limits() -> tuple[timedelta, timedelta]:
    return current_app.config["SESSION_IDLE_LIMIT"], current_app.config["SESSION_ABSOLUTE_LIMIT"]


def is_active() -> ColumnElement[bool]:
    """Not ended, and inside both time limits: what "Recent sign-ins" lists and what a request may use."""
    idle, absolute = _limits()
    now = utcnow()
    return (
        SignInSession.ended_at.is_(None)
        & (SignInSession.created_at > now - absolute)
        & (SignInSession.last_used_at > now - idle)
    )


def has_expired(row: SignInSession) -> bool:
    idle, absolute = _limits()
    now = utcnow()
    return now - row.last_used_at > idle or now - row.created_at > absolute


def start(kind: IdentityKind, account_id: int, credential_fingerprint: str) -> tuple[SignInSession, str]:
    """A new session row (added to the db session, not committed) and the token for the cookie."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = utcnow()
    row = SignInSession(
        token_hash=token_hash(token),
        credential_fingerprint=credential_fingerprint,
        created_at=now,
        last_used_at=now,
        **{"contact_id" if kind == "contact" else "marketplace_user_id": account_id},
    )
    if has_request_context():
        row.user_agent = (request.user_agent.string or "")[:USER_AGENT_MAX] or None
        row.ip_address = request.remote_addr
    db.session.add(row)
    db.session.flush()
    return row, token


def touch(row: SignInSession) -> bool:
    """Record that the person used this session now; at most once per TOUCH_EVERY. True when it wrote."""
    now = utcnow()
    if now - row.last_used_at < TOUCH_EVERY:
        return False
    row.last_used_at = now
    return True


def end(row: SignInSession, reason: SessionEndReason) -> None:
    if row.ended_at is None:
        row.ended_at = utcnow()
        row.ended_reason = reason


def end_all(
    kind: IdentityKind, account_id: int, reason: SessionEndReason, *, except_id: int | None = None
) -> int:
    """End every open session of this account (but `except_id`) in one UPDATE; how many it ended."""
    condition = owned_by(kind, account_id) & SignInSession.ended_at.is_(None)
    if except_id is not None:
        condition &= SignInSession.id != except_id
    ended = db.session.execute(
        update(SignInSession)
        .where(condition)
        .values(ended_at=utcnow(), ended_reason=reason)
        .returning(SignInSession.id)
        .execution_options(synchronize_session=False)
    )
    return len(ended.all())


def active_sessions(kind: IdentityKind, account_id: int) -> list[SignInSession]:
    return list(
        db.session.scalars(
            select(SignInSession)
            .where(owned_by(kind, account_id), is_active())
            .order_by(SignInSession.last_used_at.desc(), SignInSession.id.desc())
        )
    )


def active_session_of(kind: IdentityKind, account_id: int, session_id: int) -> SignInSession | None:
    """This account's active session with this id; None for anyone else's, an ended one or no such id."""
    return db.session.scalars(
        select(SignInSession).where(SignInSession.id == session_id, owned_by(kind, account_id), is_active())
    ).one_or_none()
