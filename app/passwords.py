"""argon2id hashing and the password rules shared by the portal and the marketplace."""

from __future__ import annotations

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from zxcvbn import zxcvbn

MIN_LENGTH = 10
MAX_LENGTH = 128
MIN_STRENGTH = 3  # zxcvbn score 0..4
ZXCVBN_MAX_LENGTH = 72

_hashers = {
    "default": PasswordHasher(),
    # Tests only: argon2id with the smallest parameters, so hundreds of sign-ins stay fast.
    "cheapest": PasswordHasher.from_parameters(profiles.CHEAPEST),
}


def _hasher() -> PasswordHasher:
    return _hashers[current_app.config.get("PASSWORD_HASH_PROFILE", "default")]


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def _dummy_hash() -> str:
    # Verified against when the account does not exist, so a miss costs what a wrong password costs.
    profile = current_app.config.get("PASSWORD_HASH_PROFILE", "default")
    cache = _dummy_hash.__dict__.setdefault("cache", {})
    if profile not in cache:
        cache[profile] = _hasher().hash("not-a-real-password-just-for-timing")
    return cache[profile]


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches. A missing hash still spends one verification."""
    try:
        return _hasher().verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    try:
        return _hasher().check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


def password_problems(password: str, user_inputs: list[str] | None = None) -> list[str]:
    """Reasons a new password is refused; an empty list means it is acceptable."""
    if len(password) < MIN_LENGTH:
        return [f"Use at least {MIN_LENGTH} characters."]
    if len(password) > MAX_LENGTH:
        return [f"Use at most {MAX_LENGTH} characters."]
    # zxcvbn refuses input past 72 characters; the first 72 decide whether a long password is guessable.
    result = zxcvbn(
        password[:ZXCVBN_MAX_LENGTH], user_inputs=[value for value in (user_inputs or []) if value]
    )
    if result["score"] < MIN_STRENGTH:
        feedback = result.get("feedback") or {}
        hint = feedback.get("warning") or "This password is too easy to guess."
        suggestions = " ".join(feedback.get("suggestions") or [])
        return [f"{hint} {suggestions}".strip()]
    return []
