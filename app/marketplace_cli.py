"""`flask marketplace …`: marketplace administration commands."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from app.extensions import db
from models import ActorKind, MarketplaceUser, Tenant, record_audit

marketplace_cli = AppGroup("marketplace", help="Marketplace administration.")


@marketplace_cli.command("link-tenant")
@click.option("--email", required=True, help="The marketplace user's e-mail address.")
@click.option("--tenant", "tenant_slug", required=True, help="The breeder's tenant slug.")
def link_tenant_command(email: str, tenant_slug: str) -> None:
    """Link a marketplace user to a breeder (tenant) as verified, and record it in the audit trail."""
    address = email.strip().lower()
    users = list(
        db.session.scalars(
            select(MarketplaceUser)
            .where(func.lower(MarketplaceUser.email) == address)
            .order_by(MarketplaceUser.id)
        )
    )
    if not users:
        raise click.ClickException(f"No marketplace user with e-mail {email.strip()!r}.")
    if len(users) > 1:
        # Registration stores addresses in lower case; another app may not have. Never guess which one.
        raise click.ClickException(
            f"{len(users)} marketplace users have e-mail {email.strip()!r} (in different cases); "
            "make the addresses distinct first."
        )
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == tenant_slug.strip()))
    if tenant is None:
        raise click.ClickException(f"No tenant with slug {tenant_slug.strip()!r}.")
    user = users[0]

    before = {"tenant_id": user.tenant_id, "tenant_verified": user.tenant_verified}
    if before == {"tenant_id": tenant.id, "tenant_verified": True}:
        click.echo(
            f"{user.email} is already linked to {tenant.name} ({tenant.slug}), verified. Nothing changed."
        )
        return
    was = ""
    if before["tenant_id"] not in (None, tenant.id):
        previous = db.session.get(Tenant, before["tenant_id"])
        was = f" (was linked to {previous.slug if previous else before['tenant_id']})"
    user.tenant_id = tenant.id
    user.tenant_verified = True
    record_audit(
        db.session,
        actor_kind=ActorKind.CLI,
        actor_id=None,
        action="marketplace_user.linked_tenant",
        subject_table="MarketplaceUser",
        subject_id=user.id,
        tenant_id=tenant.id,
        before=before,
        after={"tenant_id": tenant.id, "tenant_verified": True},
    )
    db.session.commit()
    click.echo(f"Linked {user.email} to {tenant.name} ({tenant.slug}), verified{was}.")
