"""Rate-limit helpers shared by the portal's and the marketplace's sign-in forms (Flask-Limiter).

Limits on failed attempts count only the requests a view marked as failed, so signing in correctly never
uses up an account's allowance.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import g, request
from flask_limiter import RouteLimit
from werkzeug.wrappers import Response

from app.extensions import limiter

EMAIL_KEY_MAX = 254


def form_email() -> str:
    """The e-mail as typed into the form, normalised, so case and spaces cannot open a fresh bucket."""
    return (request.form.get("email") or "").strip().lower()[:EMAIL_KEY_MAX]


def mark_failed_attempt() -> None:
    g.sign_in_attempt_failed = True


def attempt_failed(_response: Response) -> bool:
    return bool(g.get("sign_in_attempt_failed"))


def limit_failed_attempts(limit: str, key_func: Callable[[], str]) -> RouteLimit:
    """A limit on POSTs that only counts the ones the view marked with mark_failed_attempt()."""
    return limiter.limit(limit, key_func=key_func, methods=["POST"], deduct_when=attempt_failed)
