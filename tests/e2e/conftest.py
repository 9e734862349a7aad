"""End-to-end fixtures: the real app served over HTTP on its own database, driven by Debian's Chromium.

The live server gets a separate database (demo data loaded), because the unit tests' rolled-back
transaction lives on one connection that another thread must not share. It pays through the session's
localstripe, which delivers its webhooks to it.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from app import create_app
from app.database_roles import provision_app_role
from app.extensions import db
from tests.dbserver import create_database, drop_database

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def live_database_url(pg_server_url: str, worker_id: str) -> Iterator[str]:
    """The live server's database, as its owner: for a test that needs more rows than the demo has."""
    name = f"breeder_e2e_{worker_id}_{os.getpid()}"
    yield create_database(pg_server_url, name)
    drop_database(pg_server_url, name)


@pytest.fixture(scope="session")
def live_server(
    live_database_url: str, worker_id: str, localstripe, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    from flask_migrate import upgrade

    from demo import seed_demo

    url = live_database_url
    uploads = str(tmp_path_factory.mktemp("e2e-uploads"))
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": provision_app_role(
                url
            ),  # served as the app's role, under row security
            "MIGRATION_DATABASE_URI": url,
            "UPLOADS_DIR": uploads,
            "INBOX_POLL_SECONDS": 1,
            **localstripe.app_config(),
        },
        env_name="testing",
    )
    with app.app_context():
        upgrade()
        seed_demo()
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    site = f"http://127.0.0.1:{server.server_port}"
    localstripe.register(site, f"e2e-{worker_id}")  # localstripe delivers its webhooks here, for real
    try:
        yield site
    finally:
        server.shutdown()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is required for the end-to-end tests in CI; not found at {CHROMIUM}")
        pytest.skip("Chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server: str):
    """new_page() -> a Page in a fresh browser context (its own cookies), with base_url set to the live server."""
    contexts = []

    def make():
        context = browser.new_context(base_url=live_server)
        context.set_default_timeout(20_000)  # generous: CI machines are small and may be busy
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
