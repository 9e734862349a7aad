"""Signing in with two factors: after the password, the browser holds a *pending* sign-in (not signed in) until
a code arrives. The pending state lives in the signed session cookie for PENDING_FOR, bound to the password hash,
so it names one account and dies with a password change; the real session starts only after the code."""

from __future__ import annotations

from datetime import timedelta

from flask import redirect, session
from flask_login import current_user
from werkzeug.wrappers import Response

from app.account_security import Account, Face
from app.auth import credential_fingerprint, sign_in
from app.sessions import IdentityKind
from app.two_factor import enabled_credential
from models.types import utcnow

PENDING_KEY = "second_factor"
PENDING_FOR = timedelta(minutes=5)


def continue_sign_in(face: Face, account: Account, next_url: str) -> Response:
    """The password was right: sign in, or, with two-factor sign-in on, ask for a code first."""
    if enabled_credential(face.kind, account.id) is None:
        sign_in(face.kind, account)
        return redirect(next_url)
    session[PENDING_KEY] = {
        "kind": face.kind,
        "id": account.id,
        "fp": credential_fingerprint(account),
        "until": (utcnow() + PENDING_FOR).timestamp(),
        "next": next_url,
    }
    return redirect(face.url("login_two_factor"))


def pending_account(face: Face) -> Account | None:
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or pending.get("kind") != face.kind:
        return None
    if utcnow().timestamp() > float(pending.get("until", 0)):
        return None
    account = face.find_account(int(pending.get("id", 0)))
    if account is None or credential_fingerprint(account) != pending.get("fp"):
        return None
    return account


def pending_next() -> str:
    return str(session.get(PENDING_KEY, {}).get("next", ""))


def forget_pending() -> None:
    session.pop(PENDING_KEY, None)


def pending_key(kind: IdentityKind) -> str:
    """The account a code is being tried for (the failed-code limit's key), or the signed-in one."""
    if current_user.is_authenticated:
        return current_user.account_key
    pending = session.get(PENDING_KEY)
    if isinstance(pending, dict):
        return f"{pending.get('kind')}:{pending.get('id')}"
    return f"{kind}:none"
