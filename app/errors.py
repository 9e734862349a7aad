"""Error pages: plain, friendly, never a traceback."""

from __future__ import annotations

import logging

import psycopg
from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from app.extensions import db

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("Bad request", "The request could not be understood. Please go back and try again."),
    403: ("Not allowed", "You do not have access to this page."),
    404: (
        "Page not found",
        "We could not find that page. It may have moved, or you may not have access to it.",
    ),
    405: ("Not allowed", "That action is not available here."),
    409: ("Not possible now", "That cannot be done in the current state of things. Reload the page and see."),
    413: ("Too large", "What you sent is too large."),
    429: ("Too many attempts", "You have tried that too many times. Please wait a little and try again."),
    500: ("Something went wrong", "Sorry, something went wrong on our side. Please try again in a moment."),
    503: (
        "Temporarily unavailable",
        "The site is temporarily unavailable. Nothing you sent was lost: please try again in a moment.",
    ),
}
UNAVAILABLE_RETRY_SECONDS = 5


def _roll_back(*, discard: bool = False) -> None:
    """End the request's failed transaction, so the error page's own reads (the signed-in name) work. On a dead
    connection the rollback itself can fail: nothing is left to undo then, and the session is discarded."""
    try:
        db.session.rollback()
    except SQLAlchemyError:
        log.warning("rollback failed on a broken connection; the session is discarded")
        discard = True
    if discard:
        db.session.remove()


def render_unavailable() -> tuple[str, int, dict[str, str]]:
    """503 without reading the database (no navigation with the signed-in name or badges)."""
    title, message = MESSAGES[503]
    page = render_template("errors/unavailable.html", code=503, title=title, message=message)
    return page, 503, {"Retry-After": str(UNAVAILABLE_RETRY_SECONDS)}


def _is_connection_failure(error: BaseException) -> bool:
    """The database went away (a restart, a killed backend, a network cut), as opposed to a bad statement."""
    if isinstance(error, DBAPIError):
        return error.connection_invalidated or isinstance(error.orig, psycopg.OperationalError)
    return isinstance(error, psycopg.OperationalError)


def render_error(code: int, detail: str | None = None) -> tuple[str, int] | tuple[str, int, dict[str, str]]:
    title, message = MESSAGES.get(code, MESSAGES[500])
    try:
        return render_template("errors/error.html", code=code, title=title, message=detail or message), code
    except SQLAlchemyError as error:  # the page's navigation reads the database; it may be what failed
        if not _is_connection_failure(error):
            raise
        _roll_back(discard=True)
        return render_unavailable()


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        return render_error(
            400, "This form has expired or was not sent from this site. Reload the page and try again."
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int]:
        code = error.code or 500
        if code in MESSAGES:
            return render_error(code)
        return render_template(
            "errors/error.html", code=code, title=error.name, message=error.description
        ), code

    @app.errorhandler(Exception)
    def server_error(error: Exception):
        # A failed statement leaves the transaction aborted; the page's own queries (the navigation's unread
        # count) must not fail on it too, or the visitor gets the server's bare page without our headers.
        lost = _is_connection_failure(error)
        _roll_back(discard=lost)
        if lost:
            log.warning("database unavailable: %s", error.__class__.__name__)
            return render_unavailable()
        log.exception("unhandled error")
        return render_error(500)
