"""The bench's pages in this process: the app built as bench/run.py configures gunicorn's, signed in through the
real forms (served from a thread for that only), on BENCH_DATABASE_URL's seed-scale data.

For bench/profile.py and bench/inprocess.py, which want the app without sockets: each page's path and the headers
(proxy, session cookie) a signed-in visitor sends, ready for the test client.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import Flask
from werkzeug.serving import make_server

from app.database_roles import provision_app_role
from bench import targets
from bench.common import owner_url
from bench.pages import CLIENT, Page, deepest_invoices_path, pages, signed_in_browsers
from bench.run import server_environment


@dataclass(frozen=True)
class Local:
    app: Flask
    database_url: str  # the application's role, as the raw baseline connects
    pages: list[Page]
    headers: dict[str, dict[str, str]]  # page name -> what its visitor sends

    def page(self, name: str) -> Page:
        found = next((page for page in self.pages if page.name == name), None)
        if found is None:
            names = ", ".join(page.name for page in self.pages)
            raise SystemExit(f"Error: no page {name!r}; the bench's pages are {names}")
        return found


def build_app(env: dict[str, str]) -> Flask:
    """create_app() under `env` (the configuration is read then); the process's own environment is left as it was."""
    from app import create_app

    saved = dict(os.environ)
    os.environ.update(env)
    try:
        return create_app()
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextmanager
def _served(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def local() -> Local:
    owner = owner_url()
    if not targets.seeded(owner):
        raise SystemExit(
            "Error: no seed-scale data on BENCH_DATABASE_URL: run `make bench` or seed-scale first"
        )
    found = targets.find(owner)
    env = server_environment(provision_app_role(owner))
    app = build_app(env)
    with _served(app) as url:
        browsers = signed_in_browsers(url, found.tenant_slug)
        invoices = f"/portal/{found.tenant_slug}/invoices"
        chosen = pages(found, deepest_invoices_path(browsers[CLIENT], invoices, found.invoices))
    headers = {page.name: browsers[page.who].headers() for page in chosen}
    return Local(app, env["DATABASE_URL"], chosen, headers)
