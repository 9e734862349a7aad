"""`flask portal …`: portal administration commands."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from app.extensions import db
from app.security_events import SecurityAction, record_security_event
from app.templating import format_duration
from app.tokens import PORTAL_INVITE
from models import ActorKind, Contact, Tenant, tenant_scope
from portal.accounts.invites import set_password_url

portal_cli = AppGroup("portal", help="Client portal administration.")


@portal_cli.command("invite")
@click.option("--tenant", "tenant_slug", required=True, help="The breeder's tenant slug.")
@click.option("--email", required=True, help="The contact's e-mail address.")
def invite_command(tenant_slug: str, email: str) -> None:
    """Enable the portal for a contact and print a set-password link."""
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == tenant_slug))
    if tenant is None:
        raise click.ClickException(f"No tenant with slug {tenant_slug!r}.")
    with tenant_scope(tenant.id):
        matches = list(
            db.session.scalars(
                select(Contact).where(func.lower(Contact.email) == email.strip().lower()).order_by(Contact.id)
            )
        )
    if not matches:
        raise click.ClickException(f"{tenant.name} has no contact with e-mail {email!r}.")
    if len(matches) > 1:
        # Sign-in finds a contact by tenant and e-mail; two contacts sharing one would make that ambiguous.
        raise click.ClickException(
            f"{tenant.name} has {len(matches)} contacts with e-mail {email!r}; give each its own address first."
        )
    contact = matches[0]
    contact.portal_enabled = True
    record_security_event(contact, SecurityAction.INVITED, actor_kind=ActorKind.CLI)
    db.session.commit()
    click.echo(f"Portal access enabled for {contact.display_name} <{contact.email}> at {tenant.name}.")
    click.echo(
        f"Send them this link to choose a password (valid for {format_duration(PORTAL_INVITE.max_age)}, works once):"
    )
    click.echo(set_password_url(PORTAL_INVITE, contact, tenant))
