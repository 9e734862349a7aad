"""Public pages: the marketplace pages anyone may see, which a signed-out visitor gets without a session.

A view marked `public_page` renders no CSRF token for a signed-out visitor (it has no form that posts, and a token
would start a session: a signed cookie set on every page view, and a page no cache could share). Its answer to
such a visitor may be kept by browsers and shared caches for PUBLIC_MAX_AGE seconds, and revalidated by ETag.
Anything personal keeps `no-store` (app/security.py): a signed-in visitor, a response that sets a cookie (a
flashed message, a session that ended), an error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, current_app, request, session
from flask_login import current_user

V = TypeVar("V", bound=Callable[..., Any])
PUBLIC_MAX_AGE = 60
# What a request sends to revalidate (If-None-Match…) or to ask for part of a page (Range): without any of them,
# werkzeug's make_conditional would leave the page as it is (gunicorn dates it).
CONDITIONAL_REQUEST_HEADERS = (
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_MATCH",
    "HTTP_IF_UNMODIFIED_SINCE",
    "HTTP_RANGE",
    "HTTP_IF_RANGE",
)


def public_page(view: V) -> V:
    view.public_page = True  # type: ignore[attr-defined]
    return view


def _is_public_view() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "public_page", False))


def signed_out_on_public_page() -> bool:
    """This request shows a public page to someone not signed in: the page carries nothing of theirs."""
    return request.method in ("GET", "HEAD") and _is_public_view() and not current_user.is_authenticated


def header_names(response: Response) -> set[str]:
    """The response's header names, lower-cased."""
    return {name.lower() for name, _value in response.headers.items()}


def cache_if_public(response: Response, present: set[str] | None = None) -> bool:
    """Mark a signed-out visitor's public page cacheable (True), or leave the response alone (False).
    `present`: header_names(response), when the caller has them.

    Only with an empty, untouched session: Flask writes the cookie after this runs, and any session data (a
    flashed message, a CSRF token, an ended sign-in being cleared) makes the page this visitor's own."""
    present = header_names(response) if present is None else present
    if (
        response.status_code != 200
        or "cache-control" in present
        or "set-cookie" in present
        or session
        or session.modified
        or not signed_out_on_public_page()
    ):
        return False
    response.headers["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}"
    response.add_etag()
    environ = request.environ
    if any(name in environ for name in CONDITIONAL_REQUEST_HEADERS):
        response.make_conditional(request)
    return True


def init_app(app: Flask) -> None:
    app.add_template_global(signed_out_on_public_page)
