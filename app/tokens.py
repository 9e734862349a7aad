"""Signed, expiring, single-use tokens for both faces: portal invitations and resets, marketplace e-mail
verification and resets. Each kind names its purpose (the signing salt) and how long a link stays valid.

A token carries a fingerprint of something that changes once the link has done its job (the password hash,
or the address and its verified flag), so it dies then: that is what makes it single-use.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


@dataclass(frozen=True)
class TokenKind:
    purpose: str
    max_age: timedelta


PORTAL_INVITE = TokenKind("portal-invite", timedelta(days=7))
PORTAL_RESET = TokenKind("portal-reset", timedelta(hours=1))
MARKETPLACE_VERIFY_EMAIL = TokenKind("marketplace-verify-email", timedelta(days=3))
MARKETPLACE_RESET = TokenKind("marketplace-reset-password", timedelta(hours=1))
TOKEN_MAX_LENGTH = 1000  # far above any token we issue; longer input is not worth verifying


def fingerprint(secret_material: str | None) -> str:
    return hashlib.sha256((secret_material or "").encode()).hexdigest()[:16]


def _serializer(kind: TokenKind) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"breeder-portal:{kind.purpose}")


def make_token(kind: TokenKind, subject_id: int, bound_to: str | None) -> str:
    return _serializer(kind).dumps({"id": subject_id, "fp": fingerprint(bound_to)})


class TokenInvalid(Exception):
    """The token is malformed, tampered with, expired, or already used."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def read_token(kind: TokenKind, token: str) -> tuple[int, str]:
    """Return (subject_id, fingerprint). The caller compares the fingerprint with the live material."""
    if len(token) > TOKEN_MAX_LENGTH:
        raise TokenInvalid("This link is not valid.")
    try:
        payload = _serializer(kind).loads(token, max_age=int(kind.max_age.total_seconds()))
    except SignatureExpired as exc:
        raise TokenInvalid("This link has expired.") from exc
    except BadSignature as exc:
        raise TokenInvalid("This link is not valid.") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("id"), int):
        raise TokenInvalid("This link is not valid.")
    return payload["id"], str(payload.get("fp", ""))


def check_still_bound(token_fingerprint: str, current_material: str | None) -> None:
    if token_fingerprint != fingerprint(current_material):
        raise TokenInvalid("This link has already been used.")
