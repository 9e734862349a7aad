"""Flask CLI commands: `seed-demo`, `seed-scale`, `check-db`, `db` (Flask-Migrate's, with the pre-flight) and each area's groups."""

from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from app.extensions import db
from models import Tenant


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has tenants.")
def seed_demo_command(if_empty: bool) -> None:
    """Load the demo data (idempotent) and print the demo logins."""
    from demo import DEMO_LOGINS, seed_demo

    if if_empty and db.session.scalar(select(Tenant.id).limit(1)) is not None:
        click.echo("Database already has data; demo data not loaded again.")
    else:
        seed_demo()
        db.session.commit()
        click.echo("Demo data is ready.")
    click.echo("Demo logins (password for all: demo-password-1):")
    for line in DEMO_LOGINS:
        click.echo(f"  {line}")


@click.command("check-db")
def check_db_command() -> None:
    """Exit non-zero with one clear line when the database cannot be reached."""
    url = db.engine.url
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError:
        where = url.host or url.query.get("host") or "local socket"
        port = f":{url.port}" if url.port else ""
        raise click.ClickException(
            f"Cannot reach PostgreSQL at {where}{port} (database {url.database!r}). "
            "Check DATABASE_URL and that the server is running."
        ) from None
    click.echo(f"Database reachable: {url.render_as_string(hide_password=True)}")


def init_app(app: Flask) -> None:
    from app.preflight.cli import db_group

    # Flask-Migrate's `db`, with `upgrade` running the pre-flight first, and `preflight`.
    app.cli.add_command(db_group())
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(check_db_command)
    from app.scale_seed.cli import seed_scale_command

    app.cli.add_command(seed_scale_command)
    from portal.cli import portal_cli

    app.cli.add_command(portal_cli)
    from app.marketplace_cli import marketplace_cli

    app.cli.add_command(marketplace_cli)
