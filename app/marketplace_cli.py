"""`flask marketplace …`: marketplace administration commands."""

from __future__ import annotations

from importlib.metadata import version

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from app import sessions
from app.extensions import db
from app.security_events import SecurityAction, record_security_event
from models import (
    ActorKind,
    MarketplaceUser,
    Review,
    ReviewReport,
    SessionEndReason,
    Tenant,
    UserStatus,
    cross_tenant,
    record_audit,
)
from models.location import load_centroids, locate_listings
from models.types import INT4_MAX

marketplace_cli = AppGroup("marketplace", help="Marketplace administration.")
# An operator's command acts on any breeder's rows (and records it in the audit trail, read back on insert).
OPERATOR_COMMAND = "an operator's marketplace command"


@marketplace_cli.command("load-zip-centroids")
def load_zip_centroids_command() -> None:
    """Refresh the ZIP code centroids from the installed `zipcodes` package (revision 0019 loaded them once), then
    move the listings whose ZIP's centroid changed. Run it after upgrading the package; it needs no network."""
    changed = load_centroids(db.session.connection())
    db.session.commit()
    moved = locate_listings(db.session)
    click.echo(
        f"{changed:,} ZIP code centroids added or changed (zipcodes {version('zipcodes')}); "
        f"{moved:,} listings moved to their ZIP's new centroid."
    )


def _one_user_by_email(email: str) -> MarketplaceUser:
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
    return users[0]


@marketplace_cli.command("link-tenant")
@click.option("--email", required=True, help="The marketplace user's e-mail address.")
@click.option("--tenant", "tenant_slug", required=True, help="The breeder's tenant slug.")
def link_tenant_command(email: str, tenant_slug: str) -> None:
    """Link a marketplace user to a breeder (tenant) as verified, and record it in the audit trail."""
    with cross_tenant(OPERATOR_COMMAND):
        _link_tenant(email, tenant_slug)


def _link_tenant(email: str, tenant_slug: str) -> None:
    user = _one_user_by_email(email)
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == tenant_slug.strip()))
    if tenant is None:
        raise click.ClickException(f"No tenant with slug {tenant_slug.strip()!r}.")

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


# --- reviews ---------------------------------------------------------------------------------------------------


@marketplace_cli.command("hide-review")
@click.option("--id", "review_id", required=True, type=click.IntRange(1, INT4_MAX), help="The review's id.")
@click.option("--reason", default="", help="Why, for the audit trail (optional).")
def hide_review_command(review_id: int, reason: str) -> None:
    """Hide a review from the provider's page and from every rating, and record it in the audit trail."""
    _set_hidden(review_id, True, reason.strip()[:500])


@marketplace_cli.command("unhide-review")
@click.option("--id", "review_id", required=True, type=click.IntRange(1, INT4_MAX), help="The review's id.")
@click.option("--reason", default="", help="Why, for the audit trail (optional).")
def unhide_review_command(review_id: int, reason: str) -> None:
    """Show a hidden review again, and record it in the audit trail."""
    _set_hidden(review_id, False, reason.strip()[:500])


def _set_hidden(review_id: int, hidden: bool, reason: str) -> None:
    from marketplace.reviews.writing import set_review_hidden

    with cross_tenant(OPERATOR_COMMAND):
        try:
            changed = set_review_hidden(review_id, hidden, reason=reason or None)
        except LookupError as error:
            raise click.ClickException(str(error)) from None
        state = "hidden" if hidden else "shown"
        if changed is None:
            click.echo(f"Review {review_id} is already {state}. Nothing changed.")
            return
        db.session.commit()
    click.echo(
        f"Review {review_id} is now {state} (provider {changed.provider_user_id}); recorded in the audit trail."
    )


@marketplace_cli.command("reported-reviews")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
def reported_reviews_command(limit: int) -> None:
    """List reported reviews, most reported first: id, reports, provider, hidden or not, and the text's start."""
    reports = func.count(ReviewReport.reporter_user_id)
    rows = db.session.execute(
        select(Review.id, reports.label("reports"), Review.provider_user_id, Review.hidden_at, Review.body)
        .join(ReviewReport, ReviewReport.review_id == Review.id)
        .group_by(Review.id)
        .order_by(reports.desc(), Review.id.desc())
        .limit(limit)
    ).all()
    if not rows:
        click.echo("No reported reviews.")
        return
    for row in rows:
        state = "hidden" if row.hidden_at else "shown"
        text = " ".join(row.body.split())
        click.echo(
            f"{row.id}\t{row.reports} report(s)\tprovider {row.provider_user_id}\t{state}\t{text[:80]}"
        )


# --- suspensions ------------------------------------------------------------------------------------------------


@marketplace_cli.command("suspend")
@click.option("--email", required=True, help="The marketplace user's e-mail address.")
@click.option("--reason", default="", help="Why, for the audit trail (optional).")
def suspend_command(email: str, reason: str) -> None:
    """Suspend a marketplace user: they are signed out everywhere at once and cannot sign in."""
    with cross_tenant(OPERATOR_COMMAND):
        _suspend(email, reason)


def _suspend(email: str, reason: str) -> None:
    user = _one_user_by_email(email)
    if user.status == UserStatus.SUSPENDED:
        click.echo(f"{user.email} is already suspended. Nothing changed.")
        return
    before = user.status
    user.status = UserStatus.SUSPENDED
    ended = sessions.end_all("marketplace", user.id, SessionEndReason.SUSPENDED)
    record_security_event(
        user,
        SecurityAction.SUSPENDED,
        actor_kind=ActorKind.CLI,
        detail={"status_before": before, "reason": reason.strip()[:500] or None, "sessions_ended": ended},
    )
    db.session.commit()
    click.echo(f"Suspended {user.email}; signed out of {ended} session(s). Recorded in the audit trail.")


@marketplace_cli.command("reinstate")
@click.option("--email", required=True, help="The marketplace user's e-mail address.")
@click.option("--reason", default="", help="Why, for the audit trail (optional).")
def reinstate_command(email: str, reason: str) -> None:
    """Lift a suspension: the user may sign in again."""
    with cross_tenant(OPERATOR_COMMAND):
        _reinstate(email, reason)


def _reinstate(email: str, reason: str) -> None:
    user = _one_user_by_email(email)
    if user.status != UserStatus.SUSPENDED:
        click.echo(f"{user.email} is not suspended (status {user.status or 'active'}). Nothing changed.")
        return
    user.status = UserStatus.ACTIVE
    record_security_event(
        user,
        SecurityAction.REINSTATED,
        actor_kind=ActorKind.CLI,
        detail={"reason": reason.strip()[:500] or None},
    )
    db.session.commit()
    click.echo(f"Reinstated {user.email}. Recorded in the audit trail.")
