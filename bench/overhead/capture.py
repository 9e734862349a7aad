"""Record what each measured page sends to PostgreSQL, and a signed-in cookie for each signed-in page.

Run with the same environment as the gunicorn under test (APP_ENV=production, DATABASE_URL, SECRET_KEY…). It
writes <out>/pages.pickle: for each page its path, the cookie to send, and the statements (SQL + parameters) one
warm request ran, which bench/overhead/raw_app.py replays through plain psycopg.
"""

from __future__ import annotations

import pickle
import re
import sys
from enum import Enum
from pathlib import Path
from typing import Any

from sqlalchemy import event

from app import create_app
from app.extensions import db
from models import scoping

PASSWORD = "demo-password-1"
DEFAULT_OUT = Path(__file__).resolve().parents[2] / "instance" / "overhead"
PAGES: list[dict[str, Any]] = [
    {"name": "browse", "path": "/", "login": None},
    {"name": "browse-filtered", "path": "/listings?category=training&sort=price_asc", "login": None},
    {"name": "portal-invoices", "path": "/portal/sunny-acres/invoices", "login": "portal"},
    {"name": "inbox", "path": "/messages", "login": "marketplace"},
]
# What a raw page would not do: find its visitor's session (the raw baseline has no sign-in at all).
SESSION_LOOKUP = re.compile(r'"SignInSession"|sign_in_session', re.I)


def _token(html: str) -> str:
    found = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert found, "no CSRF token on the sign-in page"
    return found.group(1)


def _recorder(statements: list[tuple[str, Any]]) -> Any:
    """A before_cursor_execute listener that appends each statement, preceded by the row-level-security settings
    the app writes when they change (models.scoping does that on the driver's connection, unseen by events)."""
    applied: list[Any] = [None]

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:
        settings = scoping._scope.get().settings()
        if settings != applied[0]:
            statements.append((scoping._APPLY, settings))
            applied[0] = settings
        statements.append((statement, _plain(parameters)))

    return record


def _raw_statements(statements: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """What a hand-written page would send: no session lookup, each query once, each scope written once."""
    kept: list[tuple[str, Any]] = []
    for statement, parameters in statements:
        if SESSION_LOOKUP.search(statement) or (statement, parameters) in kept[-3:]:
            continue
        if kept and statement == scoping._APPLY and kept[-1][0] == scoping._APPLY:
            kept.pop()
        kept.append((statement, parameters))
    return kept


def _plain(parameters: Any) -> Any:
    """Enum members as their database values: psycopg would send an Enum's name."""
    if isinstance(parameters, dict):
        return {key: value.value if isinstance(value, Enum) else value for key, value in parameters.items()}
    return parameters


def _signed_in_client(app: Any, kind: str) -> Any:
    client = app.test_client()
    if kind == "portal":
        url, email = "/portal/sunny-acres/login", "client@example.com"
    else:
        url, email = "/login", "buyer@example.com"
    page = client.get(url, base_url="https://localhost")
    answer = client.post(
        url,
        data={"email": email, "password": PASSWORD, "csrf_token": _token(page.get_data(as_text=True))},
        base_url="https://localhost",
        headers={"Referer": f"https://localhost{url}"},  # Flask-WTF's same-origin check on HTTPS
    )
    assert answer.status_code in (302, 303), (url, answer.status_code)
    return client


def main(out: Path) -> None:
    # Counts uncached, so the raw baseline runs the browse page's counts query as well as its rows query.
    # and no page cache, which would answer the recorded request without any statement.
    app = create_app({"LISTING_COUNTS_TTL_SECONDS": 0})
    pages = []
    with app.app_context():
        engine = db.engine
    for page in PAGES:
        client = _signed_in_client(app, page["login"]) if page["login"] else app.test_client()
        statements: list[tuple[str, Any]] = []
        record = _recorder(statements)
        first = client.get(page["path"], base_url="https://localhost")  # warms caches the app keeps
        assert first.status_code == 200, (page["path"], first.status_code)
        event.listen(engine, "before_cursor_execute", record)
        try:
            client.get(page["path"], base_url="https://localhost")
        finally:
            event.remove(engine, "before_cursor_execute", record)
        cookie = client.get_cookie("session", domain="localhost")
        pages.append(
            {
                **page,
                "cookie": f"session={cookie.value}" if page["login"] and cookie else None,
                "app_statements": len(statements),
                "statements": _raw_statements(statements),
            }
        )
    out.mkdir(parents=True, exist_ok=True)
    (out / "pages.pickle").write_bytes(pickle.dumps(pages))
    for page in pages:
        print(
            f"{page['name']}: {page['app_statements']} statements in the app, {len(page['statements'])} raw"
        )


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUT))
