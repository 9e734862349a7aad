"""Portal keyset pages, measured: the first and the deepest page of a client's invoice and payment lists, for a
client with 94,000 visible invoices (bench/portal.py's generator: 100,000 with its drafts and soft-deleted ones,
beside three other tenants' 50,000 each). Figures are printed, never asserted; docs/performance/portal-keyset.md
holds a run's output.

    PORTAL_KEYSET_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/portal_keyset_bench \\
        PYTHONPATH=. .venv/bin/python docs/performance/portal_keyset_measure.py [runs]

The database is created, migrated and filled on the first run, and kept for the next ones. Each page is fetched
through the test client as the signed-in client (served as the application's role, under row-level security),
once to warm up and then `runs` times (default 51); the median is what counts. The page's list statement (its
rows and capped count; the page's other statements are the same whatever the depth) is also run alone as many
times, and then explained with ANALYZE and BUFFERS, in the client's tenant scope, as the application's role.
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import event, select, text
from sqlalchemy.engine import make_url

from app import create_app
from app.auth import issue_session
from app.database_roles import provision_app_role
from app.extensions import db
from bench.portal import SLUG, generate
from models import Contact, Tenant
from models.scoping import cross_tenant, tenant_scope
from portal.invoices.cursors import CursorScope
from portal.invoices.forms import InvoiceFilter
from portal.invoices.keyset import Keyset, Page, PageStart
from portal.invoices.queries import INVOICES_NEWEST_FIRST, PAYMENTS_NEWEST_FIRST, invoice_page, payment_page
from portal.invoices.routes import DEFAULT_PAGE_SIZE

SUMMARY_RE = re.compile(r'<p class="results-summary">(.*?)</p>', re.DOTALL)


def _ensure_database(url: str) -> None:
    parsed = make_url(url)
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        if (
            conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (parsed.database,)).fetchone()
            is None
        ):
            conn.execute(f'CREATE DATABASE "{parsed.database}"')


def _app(url: str, owner_url: str) -> Flask:
    config = {"SQLALCHEMY_DATABASE_URI": url, "MIGRATION_DATABASE_URI": owner_url, "RATELIMIT_ENABLED": False}
    return create_app(config, env_name="testing")


def _signed_in(owner: Flask, served: Flask) -> tuple[FlaskClient, int]:
    with owner.app_context(), cross_tenant("measuring the portal's lists"):
        contact = db.session.scalars(
            select(Contact).join(Tenant, Contact.tenant_id == Tenant.id).where(Tenant.slug == SLUG)
        ).one()
        identity, tenant_id = issue_session("contact", contact), contact.tenant_id
        db.session.commit()
    client = served.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = identity
        session["_fresh"] = True
        session.permanent = True
    return client, tenant_id


def _get(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def _summary(page: str) -> str:
    found = SUMMARY_RE.search(page)
    return " ".join(re.sub(r"<[^>]+>", "", found.group(1)).split()) if found else "(no summary)"


def _deepest(served: Flask, tenant_id: int, list_name: str, status: InvoiceFilter) -> str:
    """The last page's URL: its cursor names the row before it, found by reading the whole list once, newest
    first, through the app's own query (following Older 4,700 times would take longer than the measuring)."""
    size = int(served.config.get("PORTAL_PAGE_SIZE", DEFAULT_PAGE_SIZE))
    with served.test_request_context(), tenant_scope(tenant_id):
        contact = db.session.scalars(select(Contact).where(Contact.tenant_id == tenant_id)).one()
        scope = CursorScope.of(list_name, status, contact)
        if list_name == "invoices":
            everything: Page = invoice_page(contact, status, PageStart(), 10**6, scope)
            keyset: Keyset = INVOICES_NEWEST_FIRST
        else:
            everything, keyset = payment_page(contact, PageStart(), 10**6, scope), PAYMENTS_NEWEST_FIRST
        before_last = (len(everything.items) - 1) // size * size
        token = scope.sign(keyset.cursor(everything.items[before_last - 1], before_last))
        db.session.rollback()
    query = f"status={status}&" if status != "all" else ""
    return f"/portal/{SLUG}/{list_name}?{query}after={token}"


def _median_ms(client: FlaskClient, url: str, runs: int) -> tuple[float, float, float]:
    _get(client, url)
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        _get(client, url)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), min(samples), max(samples)


@contextmanager
def _captured(served: Flask) -> Iterator[list[tuple[str, dict]]]:
    found: list[tuple[str, dict]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:
        found.append((statement, dict(parameters or {})))

    with served.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _list_statements(served: Flask, client: FlaskClient, url: str) -> list[tuple[str, dict]]:
    """The statements that read the page's rows (the list's, with its capped count), as the page ran them."""
    with _captured(served) as statements:
        _get(client, url)
    return [(s, p) for s, p in statements if '"Invoice"' in s and "LIMIT" in s]


def _run(statement: str, parameters: dict, prefix: str = "") -> list:
    db.session.execute(text("SELECT 1"))  # binds the tenant scope to the transaction first
    return db.session.connection().exec_driver_sql(prefix + statement, parameters).all()


def _sql_median_ms(served: Flask, client: FlaskClient, url: str, tenant_id: int, runs: int) -> float:
    """The page's list statement alone, run `runs` times as the application's role: the median."""
    [(statement, parameters)] = _list_statements(served, client, url)
    samples = []
    with served.app_context(), tenant_scope(tenant_id):
        for _ in range(runs + 1):
            started = time.perf_counter()
            _run(statement, parameters)
            samples.append((time.perf_counter() - started) * 1000)
        db.session.rollback()
    return statistics.median(samples[1:])


def _explain(served: Flask, client: FlaskClient, url: str, tenant_id: int) -> None:
    with served.app_context(), tenant_scope(tenant_id):
        for statement, parameters in _list_statements(served, client, url):
            print(f"\n-- {url}\n{statement}\n-- parameters: {parameters}")
            plan = _run(statement, parameters, prefix="EXPLAIN (ANALYZE, BUFFERS) ")
            print("\n".join(row[0] for row in plan))
        db.session.rollback()


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 51
    owner_url = os.environ.get(
        "PORTAL_KEYSET_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/portal_keyset_bench"
    )
    _ensure_database(owner_url)
    owner = _app(owner_url, owner_url)
    with owner.app_context():
        upgrade()
        with cross_tenant("bench data"):
            generate()
    served = _app(provision_app_role(owner_url), owner_url)
    client, tenant_id = _signed_in(owner, served)

    base = f"/portal/{SLUG}"
    lists = {
        "invoices (all)": f"{base}/invoices",
        "invoices (overdue)": f"{base}/invoices?status=overdue",
        "invoices (void)": f"{base}/invoices?status=void",
        "payments": f"{base}/payments",
    }
    deepest = {
        "invoices (all)": _deepest(served, tenant_id, "invoices", "all"),
        "invoices (overdue)": _deepest(served, tenant_id, "invoices", "overdue"),
        "invoices (void)": _deepest(served, tenant_id, "invoices", "void"),
        "payments": _deepest(served, tenant_id, "payments", "all"),
    }
    print(f"\nmedian of {runs} runs, milliseconds, test client (Flask + SQL + Jinja)")
    for name, first in lists.items():
        for label, url in (("first", first), ("deepest", deepest[name])):
            median, low, high = _median_ms(client, url, runs)
            sql = _sql_median_ms(served, client, url, tenant_id, runs)
            print(
                f"{name:<20} {label:<8} page median {median:7.2f} ms (min {low:.2f}, max {high:.2f})", end=""
            )
            print(f"  list statement median {sql:6.2f} ms  {_summary(_get(client, url))}")
    for name, first in lists.items():
        _explain(served, client, first, tenant_id)
        _explain(served, client, deepest[name], tenant_id)


if __name__ == "__main__":
    main()
