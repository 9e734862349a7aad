"""Response headers (a strict Content-Security-Policy and the usual hardening), and the request checks every
view relies on: ids in URLs that fit the database, and no NUL characters anywhere (PostgreSQL refuses them)."""

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, g, request
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter

from app.public_pages import cache_if_public, header_names
from models.types import INT4_MAX

DIRECTIVES: dict[str, tuple[str, ...]] = {
    "default-src": ("'none'",),
    "script-src": ("'self'",),
    "style-src": ("'self'",),
    # Listing photos are uploads served by this site (app/storage.py): no outside server sees who views a page.
    # With S3_PUBLIC_URL, site_sources adds that origin.
    "img-src": ("'self'",),
    "connect-src": ("'self'",),
    "form-action": ("'self'",),
    "base-uri": ("'none'",),
    "frame-ancestors": ("'none'",),
}


def content_security_policy(extra: Mapping[str, Sequence[str]] | None = None) -> str:
    """The policy, with `extra` sources added to their directives (a directive that is new gets just them)."""
    directives = {name: list(sources) for name, sources in DIRECTIVES.items()}
    for name, sources in (extra or {}).items():
        if sources:
            directives.setdefault(name, []).extend(
                source for source in sources if source not in directives[name]
            )
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


CSP = content_security_policy()


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def site_sources(config: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """What the settings add to every page's policy: the S3 store's public origin, when photos load from there."""
    public_url = (config.get("S3") or {}).get("public_url")
    return {"img-src": (origin_of(public_url),)} if public_url else {}


def allow_on_this_page(sources: Mapping[str, Sequence[str]]) -> None:
    """Widen this response's policy only (the payment page adds Stripe's origins); every other page keeps CSP."""
    g.csp_extra = sources


def _policy() -> str:
    site = current_app.config["CSP_SITE_SOURCES"]
    page = g.get("csp_extra")
    if not page:
        return current_app.config["CONTENT_SECURITY_POLICY"]
    merged = {name: (*site.get(name, ()), *page.get(name, ())) for name in {*site, *page}}
    return content_security_policy(merged)


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
    # Each header only where the view set none. The names are read once: werkzeug answers a missing header (`in`,
    # setdefault) by raising and catching an HTTP exception, several times a request.
    present = header_names(response)
    missing = [
        (name, value)
        for name, value in (
            ("Content-Security-Policy", _policy()),
            # Production runs behind HTTPS (its cookies are Secure): browsers should never try plain HTTP again.
            ("Strict-Transport-Security", HSTS if current_app.config.get("PRODUCTION") else None),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "same-origin"),
            ("X-Frame-Options", "DENY"),
        )
        if value is not None and name.lower() not in present
    ]
    response.headers.extend(missing)
    if "HX-Request" in request.headers or response.mimetype == "text/html":
        response.vary.add("HX-Request")
    if (
        request.endpoint
        and request.endpoint != "static"
        and "cache-control" not in present
        and not cache_if_public(response, present)
    ):
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """Call before any blueprint is registered: routes pick their converters when they are added."""
    app.url_map.converters["int"] = DatabaseIdConverter
    app.config["CSP_SITE_SOURCES"] = site_sources(app.config)
    app.config["CONTENT_SECURITY_POLICY"] = content_security_policy(app.config["CSP_SITE_SOURCES"])
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_nul_characters)
    app.after_request(_add_headers)
