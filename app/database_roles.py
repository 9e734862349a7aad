"""The two database roles: the owner, which runs migrations, and the application's, which owns nothing.

Row-level security (revision 0022) holds the application's role to the tenant scope of each transaction. It
cannot hold a superuser, a BYPASSRLS role, or (without FORCE) a table's owner, so the application connects as a
role that is none of these; its rights on every table, present and future, come from the grants below. The
embedded server and the tests set this up by themselves; on a managed server the same SQL is in the README.
"""

from __future__ import annotations

import contextlib
import logging

import psycopg
from psycopg import sql
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError

from app.config import ConfigError

log = logging.getLogger(__name__)

APP_ROLE = "breeder_app"

_CREATE_ROLE = sql.SQL("CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT")
_GRANTS = (
    "GRANT CONNECT, TEMPORARY ON DATABASE {database} TO {role}",
    "GRANT USAGE ON SCHEMA public TO {role}",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
    "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
    # Tables and sequences that later revisions create (as the owner) are the application's to use at once.
    "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
    "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
    "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {role}",
    # Every statement planned for its own values, also outside a transaction (models/one_statement.py).
    "ALTER ROLE {role} IN DATABASE {database} SET plan_cache_mode = 'force_custom_plan'",
)


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL as psycopg.connect takes it (no driver suffix, password kept)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def provision_app_role(owner_url: str, role: str = APP_ROLE) -> str:
    """Make sure `role` exists and may use the database at `owner_url` (whose user owns the schema and runs the
    migrations, and may create roles); return the SQLAlchemy URL of the same database as `role`.

    For the embedded server and the tests, where local connections are trusted: the role has no password."""
    with psycopg.connect(libpq_url(owner_url), autocommit=True) as conn:
        owner, database = conn.execute("SELECT current_user, current_database()").fetchone()  # type: ignore[misc]
        names = {
            "role": sql.Identifier(role),
            "owner": sql.Identifier(owner),
            "database": sql.Identifier(database),
        }
        # Roles belong to the whole server: another database (or a run beside this one) may have made it.
        with contextlib.suppress(psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
            conn.execute(_CREATE_ROLE.format(**names))
        for grant in _GRANTS:
            conn.execute(sql.SQL(grant).format(**names))
    return make_url(owner_url).set(username=role, password=None).render_as_string(hide_password=False)


def role_bypasses_row_security(connection) -> str | None:
    """Why the connection's role is not held to row-level security, or None when it is."""
    superuser, bypass = connection.exec_driver_sql(
        "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
    ).one()
    if superuser:
        return "is a superuser"
    if bypass:
        return "has BYPASSRLS"
    owned = connection.exec_driver_sql(
        "SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user) "
        "AND relkind = 'r' AND relnamespace = 'public'::regnamespace"
    ).scalar()
    if owned:
        return f"owns {owned} tables"
    return None


def refuse_an_unconfined_app_role(engine: Engine, setting: str = "DATABASE_URL") -> None:
    """Production's start-up check: stop with one line when DATABASE_URL's role is not held to row-level security.
    A server that cannot be reached is not this check's business (the app starts, and answers 503 until it can).
    The connection is closed afterwards, not pooled: gunicorn may fork workers from this process (preload_app),
    and a connection shared by two processes corrupts both sides' traffic."""
    try:
        with engine.connect() as connection:
            reason = role_bypasses_row_security(connection)
    except OperationalError:
        log.warning("Could not check %s's role at start-up: the database is unreachable", setting)
        return
    finally:
        engine.dispose()
    if reason:
        raise ConfigError(
            f"{setting}'s role {engine.url.username!r} {reason}, so row-level security would not hold it; "
            "connect as a role that owns nothing and has NOBYPASSRLS (README, Database roles); refusing to start."
        )
