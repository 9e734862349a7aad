"""Helpers for tests that look at a client's server-side sign-in session (models.SignInSession)."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.sessions import token_hash
from models import SignInSession
from models.types import utcnow


def session_of(client: FlaskClient) -> SignInSession | None:
    """The session row this client's cookie names, or None (signed out, or no such row)."""
    with client.session_transaction() as state:
        identity = state.get("_user_id")
    if not identity:
        return None
    db.session.expire_all()
    return db.session.scalar(
        select(SignInSession).where(SignInSession.token_hash == token_hash(identity.partition(":")[2]))
    )


def age_session(client: FlaskClient, *, idle: timedelta, since_sign_in: timedelta) -> SignInSession:
    """Move the client's session into the past: last used `idle` ago, started `since_sign_in` ago."""
    row = session_of(client)
    assert row is not None, "the client is not signed in"
    now = utcnow()
    row.last_used_at = now - idle
    row.created_at = now - since_sign_in
    db.session.flush()
    return row
