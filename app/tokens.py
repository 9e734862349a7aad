"""Signed, expiring, single-use tokens for invitations, password resets and e-mail verification.

A token carries a fingerprint of the account's password hash at the time it was issued, so it dies
as soon as the password changes: that is what makes it single-use.
"""

from __future__ import annotations

import hashlib

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


def fingerprint(secret_material: str | None) -> str:
    return hashlib.sha256((secret_material or "").encode()).hexdigest()[:16]


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"breeder-portal:{purpose}")


def make_token(purpose: str, subject_id: int, bound_to: str | None) -> str:
    return _serializer(purpose).dumps({"id": subject_id, "fp": fingerprint(bound_to)})


class TokenInvalid(Exception):
    """The token is malformed, tampered with, expired, or already used."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def read_token(purpose: str, token: str, max_age_seconds: int) -> tuple[int, str]:
    """Return (subject_id, fingerprint). The caller compares the fingerprint with the live hash."""
    try:
        payload = _serializer(purpose).loads(token, max_age=max_age_seconds)
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
