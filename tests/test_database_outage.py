"""A database blip: the app's connections are killed mid-flight (pg_terminate_backend). Requests caught in it
fail with our own 503 page and every security header, never a bare server error; every request after it works.

Runs on a scratch database of its own: the usual test transaction would die with the connections."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from flask import Flask
from sqlalchemy.exc import OperationalError, ProgrammingError

from app.extensions import db
from tests.dbserver import scratch_app
from tests.factories import MarketplaceUserFactory, ServiceListingFactory

SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy")


@pytest.fixture
def outage_app(pg_server_url: str) -> Iterator[Flask]:
    with scratch_app(pg_server_url, f"breeder_outage_{os.getpid()}") as app:
        with app.app_context():
            listing = ServiceListingFactory(
                provider_user=MarketplaceUserFactory(user_type="service_provider")
            )
            db.session.commit()
            app.config["OUTAGE_LISTING_ID"] = listing.id
            db.session.remove()
        yield app


def _kill_app_connections(app: Flask) -> int:
    """Terminate every other backend connected to the app's database; how many were killed."""
    with app.app_context():
        engine = db.engine
        database = engine.url.database
        admin = engine.url.set(drivername="postgresql", database="postgres").render_as_string(
            hide_password=False
        )
    with psycopg.connect(admin, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (database,),
        ).fetchall()
    return len(rows)


def _page_paths(app: Flask) -> list[str]:
    listing_id = app.config["OUTAGE_LISTING_ID"]
    return ["/", "/listings?q=retriever", f"/listings/{listing_id}", "/portal/nowhere/login", "/login"]


def test_killed_connections_fail_only_inside_the_blip_and_with_our_503_page(outage_app: Flask):
    client = outage_app.test_client()
    paths = _page_paths(outage_app)
    # Warm the pool: several pooled connections exist when the blip hits.
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert set(pool.map(lambda p: outage_app.test_client().get(p).status_code, paths * 2)) <= {200, 404}

    stop = threading.Event()
    answers: list[tuple[int, dict[str, str], str]] = []

    def keep_asking() -> None:
        own = outage_app.test_client()
        while not stop.is_set():
            for path in paths:
                response = own.get(path)
                answers.append(
                    (response.status_code, dict(response.headers), response.get_data(as_text=True))
                )

    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(keep_asking) for _ in range(4)]
        killed = sum(_kill_app_connections(outage_app) for _ in range(3))
        stop.set()
        for future in futures:
            future.result()

    assert killed > 0
    failed = [(status, headers, body) for status, headers, body in answers if status not in (200, 404)]
    print(f"{len(answers)} requests, {killed} connections killed, {len(failed)} answered 503")
    for status, headers, body in failed:
        assert status == 503, body[:500]
        assert "temporarily unavailable" in body
        for header in SECURITY_HEADERS:
            assert header in headers
    # After the blip every page answers, on fresh connections.
    for path in paths:
        assert client.get(path).status_code in (200, 404)


def test_a_lost_connection_answers_503_with_our_headers_and_reads_nothing_more(client, monkeypatch, login_as):
    import marketplace.browse.routes
    from models import MarketplaceUser  # noqa: F401 - the nav would load the signed-in user

    lost = OperationalError(
        "SELECT 1", {}, psycopg.OperationalError("server closed the connection unexpectedly")
    )

    def browse_on_a_dead_connection(filters):
        raise lost

    monkeypatch.setattr(marketplace.browse.routes, "browse", browse_on_a_dead_connection)
    response = client.get("/listings?q=golden")

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    for header in SECURITY_HEADERS:
        assert header in response.headers
    page = response.get_data(as_text=True)
    assert "temporarily unavailable" in page
    assert 'class="nav-user"' not in page  # nothing that needs the database


def test_a_programming_error_is_still_a_500(client, monkeypatch):
    import marketplace.browse.routes

    def broken(filters):
        raise ProgrammingError("SELECT nonsense", {}, psycopg.errors.UndefinedColumn("column does not exist"))

    monkeypatch.setattr(marketplace.browse.routes, "browse", broken)
    assert client.get("/listings").status_code == 500
