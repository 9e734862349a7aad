"""Absolute links for e-mails and the command line, built on the configured PUBLIC_URL, never on the Host header
a request claimed (a reset link built on that would deliver the victim's token to whoever sent the request)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for

# Where `make run` serves the site: the links the CLI prints in development when nothing else is configured.
DEVELOPMENT_URL = "http://127.0.0.1:5000"


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute URL for `endpoint` on PUBLIC_URL (required in production). Without it, in development and
    tests: the address the current page was served from, or SERVER_NAME, or DEVELOPMENT_URL outside a request."""
    base = current_app.config.get("PUBLIC_URL")
    if not base:
        if has_request_context() or current_app.config.get("SERVER_NAME"):
            return url_for(endpoint, _external=True, **values)
        base = DEVELOPMENT_URL
    parts = urlsplit(base)
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    current_app.inject_url_defaults(endpoint, values)
    return adapter.build(endpoint, values, force_external=True)
