"""Rate-limit keys and limits for the portal's sign-in and password forms (Flask-Limiter, shared limiter).

Keys are built from the URL's tenant slug and the e-mail as typed (normalised), never from a database
lookup, so a limit behaves the same for an account that exists and one that does not.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import g, request
from flask_limiter import RouteLimit
from flask_limiter.util import get_remote_address
from werkzeug.wrappers import Response

from app.extensions import limiter
from portal.forms import EMAIL_MAX

LOGIN_PER_IP_AND_EMAIL = "10 per minute"
LOGIN_PER_IP = "30 per minute;300 per hour"
FAILED_LOGINS_PER_ACCOUNT = "100 per hour"
FORGOT_PER_IP_AND_EMAIL = "3 per 15 minutes"
FORGOT_PER_IP = "20 per hour"
SET_PASSWORD_PER_IP = "20 per hour"  # noqa: S105 - a rate, not a secret
FAILED_PASSWORD_CHANGES_PER_IP = "10 per hour"  # noqa: S105 - a rate, not a secret


def _email() -> str:
    return (request.form.get("email") or "").strip().lower()[:EMAIL_MAX]


def _slug() -> str:
    return str((request.view_args or {}).get("tenant_slug", ""))


def ip_key() -> str:
    return get_remote_address()


def ip_and_email_key() -> str:
    return f"{get_remote_address()}|{_slug()}|{_email()}"


def account_key() -> str:
    return f"{_slug()}|{_email()}"


def mark_failed_attempt() -> None:
    g.portal_attempt_failed = True


def attempt_failed(_response: Response) -> bool:
    return bool(g.get("portal_attempt_failed"))


def limit_failed_attempts(limit: str, key_func: Callable[[], str]) -> RouteLimit:
    """A limit on POSTs that only counts the ones the view marked with mark_failed_attempt()."""
    return limiter.limit(limit, key_func=key_func, methods=["POST"], deduct_when=attempt_failed)
