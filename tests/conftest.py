"""Real PostgreSQL for every test.

- One server per run: TEST_DATABASE_URL's, or a throwaway embedded one.
- One database per xdist worker, built once by Alembic `upgrade head` (never create_all).
- Each test runs inside a transaction on one connection; the app's session joins it with SAVEPOINTs
  (join_transaction_mode="create_savepoint"), and the transaction is rolled back after the test.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade

from app import create_app
from app.auth import issue_session
from app.database_roles import provision_app_role
from app.extensions import db, limiter
from app.storage import EXTENSION as STORAGE
from app.storage import FilesystemStorage
from models.scoping import bind_tenant, cross_tenant, unbind_tenant
from tests.dbserver import create_database, drop_database, postgres_server
from tests.stripe_server import LocalStripe

CSRF_RE = re.compile(r'"X-CSRFToken": "([^"]+)"')
TEST_DATA = "a test arranging and checking rows of several tenants"


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def database_url(pg_server_url: str, worker_id: str) -> Iterator[str]:
    # The pid keeps concurrent runs on one shared server (TEST_DATABASE_URL) out of each other's way.
    name = f"breeder_test_{worker_id}_{os.getpid()}"
    url = create_database(pg_server_url, name)
    yield url
    drop_database(pg_server_url, name)


@pytest.fixture(scope="session")
def app_database_url(database_url: str) -> str:
    """The same database as the application's own role: owns nothing, held to row-level security."""
    return provision_app_role(database_url)


@pytest.fixture(scope="session")
def localstripe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStripe]:
    """One real localstripe for the session, its state in a temporary folder."""
    server = LocalStripe(tmp_path_factory.mktemp("localstripe"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def app(
    database_url: str,
    app_database_url: str,
    localstripe: LocalStripe,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Flask]:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": app_database_url,
            "MIGRATION_DATABASE_URI": database_url,
            "SERVER_NAME": None,
            "UPLOADS_DIR": str(tmp_path_factory.mktemp("uploads")),
            **localstripe.app_config(),
        },
        env_name="testing",
    )
    with app.app_context():
        upgrade()
        db.engine.dispose()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _test_data_scope() -> Iterator[None]:
    """A test arranges and inspects rows of many tenants, so it runs in cross_tenant(TEST_DATA); each request it
    makes starts from nothing, as in production (FreshContextClient, and new threads)."""
    with cross_tenant(TEST_DATA):
        yield


@pytest.fixture(autouse=True)
def _db_transaction(app: Flask) -> Iterator[None]:
    """Roll back everything a test (and the requests it makes) wrote."""
    with app.app_context():
        engine = db.engine
        connection = engine.connect()
        outer = connection.begin()
        db.engines[None] = connection  # Flask-SQLAlchemy's get_bind() returns this for every model
        db.session.remove()
        db.session.configure(join_transaction_mode="create_savepoint")
        limiter.reset()
        try:
            yield
        finally:
            db.session.remove()
            if outer.is_active:
                outer.rollback()
            connection.close()
            db.engines[None] = engine
            app.extensions.pop("outbox", None)


class FreshContextClient(FlaskClient):
    """Each request gets its own app context, as in production.

    The tests run inside an app context; a plain test client would reuse it, so `g` (Flask-Login's cached user,
    Flask-WTF's CSRF token, the portal's tenant) would leak from one request into the next.
    """

    def open(self, *args, **kwargs):
        # No tenant scope of the test's (cross_tenant(TEST_DATA)) reaches into the request: it starts from none.
        outside = bind_tenant(None)
        try:
            with self.application.app_context():
                return super().open(*args, **kwargs)
        finally:
            unbind_tenant(outside)


@pytest.fixture
def uploads(app: Flask, tmp_path) -> Iterator[FilesystemStorage]:
    """An empty file store of the test's own, so a test can see every file a request left behind."""
    previous = app.extensions[STORAGE]
    store = FilesystemStorage(tmp_path / "uploads")
    app.extensions[STORAGE] = store
    try:
        yield store
    finally:
        app.extensions[STORAGE] = previous


def stored_files(store: FilesystemStorage) -> list[str]:
    """Every file in the store, as storage names."""
    if not store.root.exists():
        return []
    return sorted(str(path.relative_to(store.root)) for path in store.root.rglob("*") if path.is_file())


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    app.test_client_class = FreshContextClient
    try:
        return app.test_client()
    finally:
        app.test_client_class = None


def csrf_token_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page carries no CSRF token"
    return match.group(1)


@pytest.fixture
def login_as(client: FlaskClient):
    """login_as(record) -> sign this client in as a Contact or MarketplaceUser without the login form.

    For tests about what a signed-in person may do; the login forms have their own tests.
    """
    from models import Contact

    def sign_in(record) -> None:
        kind = "contact" if isinstance(record, Contact) else "marketplace"
        with client.session_transaction() as session:
            session.clear()
            session["_user_id"] = issue_session(kind, record)
            session["_fresh"] = True
            session.permanent = True

    return sign_in


@pytest.fixture
def csrf(client: FlaskClient):
    """csrf() -> a valid token for this client's session (taken from a rendered page, as a browser would)."""

    def fetch(path: str | None = None) -> str:
        html = client.get(path or "/").get_data(as_text=True)
        if path is None and not CSRF_RE.search(html):
            # A signed-out visitor's public pages carry no token (app/public_pages.py); the sign-in page does.
            html = client.get("/login").get_data(as_text=True)
        return csrf_token_from(html)

    return fetch


@pytest.fixture
def deliver(client: FlaskClient, localstripe: LocalStripe):
    """deliver(body, signature=None) -> the webhook's response to this event body, signed like localstripe."""

    def post(body: bytes, signature: str | None = None):
        response = client.post(
            "/webhooks/stripe",
            data=body,
            headers={
                "Stripe-Signature": signature or localstripe.signature(body),
                "Content-Type": "application/json",
            },
        )
        db.session.expire_all()  # the request wrote through its own session
        return response

    return post
