"""The portal's rate limits and their keys: sign-in and password forms (Flask-Limiter, shared limiter).

Keys are built from the URL's tenant slug and the e-mail as typed (normalised), never from a database
lookup, so a limit behaves the same for an account that exists and one that does not.
"""

from __future__ import annotations

from flask import request
from flask_limiter.util import get_remote_address

from app.throttling import form_email, limit_failed_attempts, mark_failed_attempt

__all__ = ["limit_failed_attempts", "mark_failed_attempt"]

LOGIN_PER_IP_AND_EMAIL = "10 per minute"
LOGIN_PER_IP = "30 per minute;300 per hour"
FAILED_LOGINS_PER_ACCOUNT = "100 per hour"
FORGOT_PER_IP_AND_EMAIL = "3 per 15 minutes"
FORGOT_PER_IP = "20 per hour"
SET_PASSWORD_PER_IP = "20 per hour"  # noqa: S105 - a rate, not a secret
FAILED_PASSWORD_CHANGES_PER_IP = "10 per hour"  # noqa: S105 - a rate, not a secret
# "Pay now" submissions per signed-in client: enough for a few declined cards, too few for card testing.
PAY_PER_CONTACT = "10 per 10 minutes;30 per day"


def _slug() -> str:
    return str((request.view_args or {}).get("tenant_slug", ""))


def ip_key() -> str:
    return get_remote_address()


def ip_and_email_key() -> str:
    return f"{get_remote_address()}|{_slug()}|{form_email()}"


def account_key() -> str:
    return f"{_slug()}|{form_email()}"


def contact_key() -> str:
    from flask_login import current_user

    return (
        f"pay|{_slug()}|{current_user.account_key if current_user.is_authenticated else get_remote_address()}"
    )
