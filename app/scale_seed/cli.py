"""The `seed-scale` command: options, the owner's connection, and one-line errors."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from app.database_roles import libpq_url
from app.passwords import hash_password
from app.scale_seed import (
    BROAD_QUERY,
    DEFAULT_PASSWORD,
    HEAVY_BUYER_EMAIL,
    HEAVY_CLIENT_EMAIL,
    HEAVY_SELLER_EMAIL,
    HEAVY_TENANT_SLUG,
    NARROW_QUERY,
    PlanError,
    SeedError,
    SeedPlan,
    plan,
    seed_scale,
)


def _owner_url() -> str:
    """The tables' owner, as `flask db upgrade` connects (migrations/env.py): MIGRATION_DATABASE_URL, or outside
    production DATABASE_URL's role (the embedded server's owner, or a development server's single role)."""
    url = current_app.config.get("MIGRATION_DATABASE_URI")
    if not url:
        if current_app.config["PRODUCTION"]:
            raise click.ClickException(
                "MIGRATION_DATABASE_URL must be set to seed in production (the role that owns the tables); "
                "nothing was written."
            )
        url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    return libpq_url(url)


@click.command("seed-scale")
@click.option("--tenants", type=int, default=plan.DEFAULT_TENANTS, show_default=True, help="Breeders.")
@click.option(
    "--invoices", type=int, default=plan.DEFAULT_INVOICES, show_default=True, help="Invoices in all."
)
@click.option(
    "--heavy-client-invoices",
    type=int,
    help=f"Invoices of {HEAVY_CLIENT_EMAIL}  [default: {plan.DEFAULT_HEAVY_CLIENT_INVOICES:,} or --invoices]",
)
@click.option(
    "--listings", type=int, default=plan.DEFAULT_LISTINGS, show_default=True, help="Listings in all."
)
@click.option("--threads", type=int, help="Conversations in all  [default: --messages / 20]")
@click.option(
    "--messages", type=int, default=plan.DEFAULT_MESSAGES, show_default=True, help="Messages in all."
)
@click.option(
    "--heavy-seller-threads",
    type=int,
    help=f"Conversations of {HEAVY_SELLER_EMAIL}  [default: {plan.DEFAULT_HEAVY_SELLER_THREADS:,} or --threads]",
)
@click.option(
    "--long-thread-messages",
    type=int,
    help=f"Messages between {HEAVY_BUYER_EMAIL} and the heavy seller  [default: {plan.DEFAULT_LONG_THREAD_MESSAGES:,}]",
)
@click.option(
    "--password", default=DEFAULT_PASSWORD, show_default=True, help="Every seeded account's password."
)
@with_appcontext
def seed_scale_command(**options) -> None:
    """Load data at scale through COPY (resumes an interrupted run; never loads twice)."""
    try:
        seed_plan = SeedPlan.build(**{name: value for name, value in options.items() if value is not None})
    except PlanError as error:
        raise click.ClickException(str(error)) from None
    url = _owner_url()
    click.echo(f"seed-scale {seed_plan.option_summary()}")
    try:
        already = seed_scale(seed_plan, url, hash_password(seed_plan.password))
    except SeedError as error:
        raise click.ClickException(str(error)) from None
    if already:
        click.echo(f"Already loaded, left as they were: {', '.join(already)}.")
    click.echo(
        f"Sign in with password {seed_plan.password!r}: portal {HEAVY_CLIENT_EMAIL} at /portal/{HEAVY_TENANT_SLUG}/login; "
        f"marketplace {HEAVY_SELLER_EMAIL}, {HEAVY_BUYER_EMAIL} at /login. "
        f"Search: {BROAD_QUERY!r} (broad), {NARROW_QUERY!r} (narrow)."
    )
