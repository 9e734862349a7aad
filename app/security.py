"""Response headers (a strict Content-Security-Policy and the usual hardening), and the request checks every
view relies on: ids in URLs that fit the database, and no NUL characters anywhere (PostgreSQL refuses them)."""

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, request
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter

from models.types import INT4_MAX


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(config: Mapping[str, Any]) -> str:
    """Images come from this site only (listing photos are uploads, app/storage.py), plus the S3 store's
    public address when photos are read from there: no outside server sees who views a page."""
    image_sources = ["'self'"]
    public_url = (config.get("S3") or {}).get("public_url")
    if public_url:
        image_sources.append(origin_of(public_url))
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src " + " ".join(image_sources),
            "connect-src 'self'",
            "form-action 'self'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ]
    )


class DatabaseIdConverter(IntegerConverter):
    """`<int:...>` in every route: 1 to INTEGER's maximum. A bigger number cannot name a row, so it is a 404
    before any query (PostgreSQL would answer it with an error)."""

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", INT4_MAX)
        super().__init__(map, *args, **kwargs)


def _has_nul(fields: MultiDict[str, str]) -> bool:
    return any("\x00" in value for values in fields.listvalues() for value in values)


def _refuse_nul_characters() -> None:
    """A NUL is never meaningful in a URL or a form, and a text column cannot store it: refuse it up front,
    the same for every field, so no view (or rate-limit key) sees a string the database would reject."""
    if "\x00" in request.path or _has_nul(request.args):
        abort(400)
    if request.method not in ("GET", "HEAD", "OPTIONS") and _has_nul(request.form):
        abort(400)


HSTS = "max-age=31536000; includeSubDomains"


def _add_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", current_app.config["CONTENT_SECURITY_POLICY"])
    if current_app.config.get("PRODUCTION"):
        # Production runs behind HTTPS (its cookies are Secure): browsers should never try plain HTTP again.
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if request.headers.get("HX-Request") is not None or response.mimetype == "text/html":
        response.vary.add("HX-Request")
    if request.endpoint and request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app: Flask) -> None:
    """Call before any blueprint is registered: routes pick their converters when they are added."""
    app.url_map.converters["int"] = DatabaseIdConverter
    app.config["CONTENT_SECURITY_POLICY"] = content_security_policy(app.config)
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_nul_characters)
    app.after_request(_add_headers)
