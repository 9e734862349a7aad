"""The site icon at /favicon.ico, where browsers look for it on every page (and where base.html links it)."""

from __future__ import annotations

from flask import Flask, current_app, send_from_directory
from werkzeug.wrappers import Response

ICON_MAX_AGE_SECONDS = 7 * 24 * 3600


def favicon() -> Response:
    return send_from_directory(
        current_app.static_folder or "static",
        "favicon.ico",
        mimetype="image/vnd.microsoft.icon",
        max_age=ICON_MAX_AGE_SECONDS,
    )


def init_app(app: Flask) -> None:
    app.add_url_rule("/favicon.ico", endpoint="favicon", view_func=favicon)
