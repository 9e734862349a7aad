"""`flask portal …`: portal administration commands."""

import click
from flask.cli import AppGroup

portal_cli = AppGroup("portal", help="Client portal administration.")


@portal_cli.command("invite")
@click.option("--tenant", "tenant_slug", required=True, help="The breeder's tenant slug.")
@click.option("--email", required=True, help="The contact's e-mail address.")
def invite_command(tenant_slug: str, email: str) -> None:
    """Enable the portal for a contact and print a set-password link."""
    raise click.ClickException("not implemented yet")
