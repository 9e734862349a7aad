"""The raw baseline: each page's own statements, replayed through plain psycopg and a minimal Jinja template.

`gunicorn -c gunicorn.conf.py bench.raw_app:app` with BENCH_RAW_PLAN naming the pickle bench/run.py writes
(page name -> the statements bench/capture.py recorded) and DATABASE_URL the application's role, as the app.
GET /<page name> answers the page's rows as an HTML table: the work left when the framework is taken away.
"""

from __future__ import annotations

import os
import pickle
import threading
from collections.abc import Callable, Iterable
from typing import Any

import jinja2
import psycopg

from app.database_roles import libpq_url
from models.scoping import _APPLY

TEMPLATE = jinja2.Environment(autoescape=True).from_string(
    "<!doctype html><html lang=en><title>{{ page }}</title>"
    "{% for rows in results %}<table>{% for row in rows %}<tr>"
    "{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>{% endfor %}</table>{% endfor %}</html>"
)


def load_plan(path: str) -> dict[str, list[Any]]:
    with open(path, "rb") as plan:
        # Written by bench/run.py a moment before, in a directory of its own: never outside input.
        return pickle.load(plan)  # noqa: S301


def render(conn: psycopg.Connection, page: str, statements: list[Any]) -> bytes:
    results = []
    applied = None
    with conn.transaction():
        for sql, parameters, scope in statements:
            if scope != applied:
                conn.execute(_APPLY, scope)
                applied = scope
            cursor = conn.execute(sql, parameters)
            results.append(cursor.fetchall() if cursor.description else [])
    return TEMPLATE.render(page=page, results=results).encode()


def make_app(plan: dict[str, list[Any]], database_url: str) -> Callable[..., Iterable[bytes]]:
    # One connection per worker (opened after the fork) and per thread, for a threaded server in the tests.
    local = threading.local()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        page = environ.get("PATH_INFO", "").strip("/")
        if page not in plan:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"no such page\n"]
        if getattr(local, "connection", None) is None or local.connection.closed:
            local.connection = psycopg.connect(libpq_url(database_url))
        body = render(local.connection, page, plan[page])
        start_response(
            "200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))]
        )
        return [body]

    return app


def _from_environment() -> Callable[..., Iterable[bytes]]:
    plan_path = os.environ.get("BENCH_RAW_PLAN")
    if not plan_path:
        raise SystemExit("Error: BENCH_RAW_PLAN must name the statements to replay (bench/run.py writes it)")
    return make_app(load_plan(plan_path), os.environ["DATABASE_URL"])


def __getattr__(name: str) -> Any:
    # gunicorn asks for `app` by name; building it on first use keeps the module importable in tests.
    if name == "app":
        return _from_environment()
    raise AttributeError(name)
