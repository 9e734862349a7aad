"""The raw baseline: each page's statements through plain psycopg and a minimal Jinja template, as one WSGI app.

Serve it with gunicorn beside the real app (same worker count) and drive both with wrk:
    OVERHEAD_PAGES=instance/overhead/pages.pickle gunicorn -w 2 -b 127.0.0.1:8102 bench.overhead.raw_app:app
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import psycopg
from jinja2 import Environment
from sqlalchemy.engine import make_url

TEMPLATE = Environment(autoescape=True).from_string(
    "<!doctype html><html><head><title>{{ name }}</title></head><body><main>"
    "{% for rows in results %}<ul>{% for row in rows %}<li>"
    "{% for value in row %}<span>{{ value }}</span> {% endfor %}</li>{% endfor %}</ul>{% endfor %}"
    "</main></body></html>"
)
PAGES_FILE = Path(os.environ["OVERHEAD_PAGES"])  # written by bench.overhead.capture
PAGES: dict[str, dict[str, Any]] = {
    page["path"]: page
    for page in pickle.loads(PAGES_FILE.read_bytes())  # noqa: S301 - our own capture
}
_connection: psycopg.Connection | None = None


def _conn() -> psycopg.Connection:
    global _connection
    if _connection is None:
        url = make_url(os.environ["DATABASE_URL"]).set(drivername="postgresql")
        _connection = psycopg.connect(url.render_as_string(hide_password=False))
    return _connection


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    query = environ.get("QUERY_STRING", "")
    page = PAGES.get(environ["PATH_INFO"] + ("?" + query if query else ""))
    if page is None:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"no such page"]
    conn = _conn()
    results = []
    with conn.transaction(), conn.cursor() as cursor:
        for statement, parameters in page["statements"]:
            cursor.execute(statement, parameters or None)
            if cursor.description is not None:
                results.append(cursor.fetchall())
    body = TEMPLATE.render(name=page["name"], results=results).encode()
    start_response(
        "200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))]
    )
    return [body]
