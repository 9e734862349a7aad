"""Alembic environment (Flask-Migrate).

Every run:
- sets lock_timeout, so DDL fails fast instead of queueing behind live traffic (and blocking it);
- sets statement_timeout, so nothing runs unbounded;
- takes an advisory lock, so two deploys cannot migrate at once;
- connects as the tables' owner (MIGRATION_DATABASE_URL) and runs inside cross_tenant("schema migration"), so a
  revision that moves data sees every tenant's rows through row-level security;
- runs the pre-flight checks of the revisions an upgrade is about to apply, when its caller asks (`flask db upgrade`
  hands them over in config.attributes["preflight"]; see app/preflight/cli.py), under the advisory lock and
  before the first of them, so a blocker stops it with nothing changed;
- runs each revision of an upgrade in its own transaction (a failed revision leaves the schema as the previous
  one left it), and a whole downgrade in one transaction (a revision that refuses to go down, like 0002 while
  amounts exceed INTEGER, also keeps the later revisions it would have followed: nothing changes).
"""

import logging
import os
from logging.config import fileConfig

from alembic import context
from alembic.runtime.migration import MigrationContext
from alembic.script.revision import RevisionError
from alembic.util import CommandError
from flask import current_app
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from models.scoping import cross_tenant

config = context.config
if config.config_file_name:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

LOCK_TIMEOUT = os.environ.get("MIGRATION_LOCK_TIMEOUT", "5s")
STATEMENT_TIMEOUT = os.environ.get("MIGRATION_STATEMENT_TIMEOUT", "30min")
ADVISORY_LOCK_KEY = "breeder-portal-migrations"


def get_engine():
    """The tables' owner runs migrations (MIGRATION_DATABASE_URL); the application's own role owns nothing."""
    url = current_app.config.get("MIGRATION_DATABASE_URI")
    if url:
        return create_engine(url, poolclass=NullPool)
    if current_app.config.get("PRODUCTION"):
        raise CommandError(
            "MIGRATION_DATABASE_URL must be set to migrate in production (the role that owns the tables; "
            "DATABASE_URL's role owns nothing); nothing was changed."
        )
    return current_app.extensions["migrate"].db.engine


def get_metadata():
    return current_app.extensions["migrate"].db.metadata


def run_migrations_offline() -> None:
    url = get_engine().url.render_as_string(hide_password=False)
    context.configure(
        url=url, target_metadata=get_metadata(), literal_binds=True, transaction_per_migration=True
    )
    with context.begin_transaction():
        context.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
        context.execute(f"SET statement_timeout = '{STATEMENT_TIMEOUT}'")
        context.execute("SET app.cross_tenant = 'schema migration'")
        context.run_migrations()


def _is_lock_timeout(error: OperationalError) -> bool:
    return getattr(error.orig, "sqlstate", None) == "55P03"


def _is_downgrade(heads) -> bool:
    """True when this run takes revisions off (iterate_revisions excludes its lower bound, so an upgrade or a
    no-op walks nothing and a non-ancestor destination raises)."""
    try:
        destination = context.get_revision_argument()  # None means base
    except KeyError:  # check, current, autogenerate: nothing is walked
        return False
    try:
        return any(True for _ in context.script.iterate_revisions(heads, destination))
    except RevisionError:
        return False


def _preflight(connection, heads) -> None:
    gate = config.attributes.get("preflight")
    if gate is not None:
        gate(connection, context.script, heads, context.get_revision_argument())


def run_migrations_online() -> None:
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)

    with get_engine().connect() as connection:
        connection.execute(text("SELECT set_config('lock_timeout', :value, false)"), {"value": LOCK_TIMEOUT})
        connection.execute(
            text("SELECT set_config('statement_timeout', :value, false)"), {"value": STATEMENT_TIMEOUT}
        )
        connection.execute(text("SELECT pg_advisory_lock(hashtext(:key))"), {"key": ADVISORY_LOCK_KEY})
        heads = MigrationContext.configure(connection).get_current_heads()
        downgrade = _is_downgrade(heads)
        connection.commit()
        context.configure(
            connection=connection,
            target_metadata=get_metadata(),
            transaction_per_migration=not downgrade,
            compare_type=True,
            **{key: value for key, value in conf_args.items() if key != "compare_type"},
        )
        try:
            if not downgrade:
                _preflight(connection, heads)
            with context.begin_transaction():
                context.run_migrations()
        except OperationalError as error:
            if _is_lock_timeout(error):
                raise CommandError(
                    f"Migration stopped: it could not take a table lock within lock_timeout={LOCK_TIMEOUT} "
                    "because another session holds it. The revision was rolled back and the schema is as it "
                    "was; retry when traffic is lower, or raise MIGRATION_LOCK_TIMEOUT."
                ) from error
            raise
        finally:
            connection.rollback()
            connection.execute(text("SELECT pg_advisory_unlock(hashtext(:key))"), {"key": ADVISORY_LOCK_KEY})
            connection.commit()


# A revision that moves data moves every tenant's (row-level security holds the owner too: FORCE).
with cross_tenant("schema migration"):
    if context.is_offline_mode():
        run_migrations_offline()
    else:
        run_migrations_online()
