"""Error pages: plain, friendly, never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
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
}


def render_error(code: int, detail: str | None = None) -> tuple[str, int]:
    title, message = MESSAGES.get(code, MESSAGES[500])
    return render_template("errors/error.html", code=code, title=title, message=detail or message), code


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
    def server_error(error: Exception) -> tuple[str, int]:
        log.exception("unhandled error")
        # A failed statement leaves the transaction aborted; the page's own queries (the navigation's unread
        # count) must not fail on it too, or the visitor gets the server's bare page without our headers.
        db.session.rollback()
        return render_error(500)
