"""`flask db preflight`, and `flask db upgrade` running the same checks before it changes anything.

`db_group()` is Flask-Migrate's `db` group with these two commands in it (Flask-Migrate's own group is left as
it is); app/cli.py registers it over the one Flask-Migrate added.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import click
from alembic import command
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError
from flask import current_app, g
from flask.cli import with_appcontext
from flask_migrate import catch_errors
from flask_migrate.cli import db as flask_migrate_db
from sqlalchemy.engine import Connection

from app.extensions import db
from app.preflight.report import Report
from app.preflight.runner import (
    DEFAULT_LOCK_THRESHOLD,
    Applied,
    Plan,
    apply_safe_fixes,
    current_heads,
    plan,
    run,
)

lock_threshold_option = click.option(
    "--lock-threshold",
    type=click.FloatRange(min=0),
    default=DEFAULT_LOCK_THRESHOLD,
    show_default=True,
    metavar="SECONDS",
    help="Show the online recipe for a lock estimated to be held longer than this.",
)


class PreflightBlocked(CommandError):
    """The pre-flight found rows a pending revision would refuse; the upgrade did not start."""


class UpgradeGate:
    """Handed to migrations/env.py in config.attributes["preflight"]: it runs under the migration advisory lock,
    before the first revision, and stops the upgrade (nothing changed) when a check blocks."""

    def __init__(self, lock_threshold: float) -> None:
        self.lock_threshold = lock_threshold

    def __call__(
        self, connection: Connection, script: ScriptDirectory, heads: Sequence[str], destination: str | None
    ) -> None:
        moves = plan(script, heads, destination)
        if moves.direction != "upgrade" or not moves.revisions:
            return
        report = run(connection, moves, self.lock_threshold)
        click.echo(report.as_text())
        if not report.can_run:
            raise PreflightBlocked(
                f"The upgrade did not start: {len(report.findings)} pre-flight blocker(s), listed above. "
                "The schema and alembic_version are unchanged."
            )


def _migrate_config(directory: str | None, x_arg: Sequence[str] = ()):
    return current_app.extensions["migrate"].migrate.get_config(
        directory or g.get("directory"), x_arg=list(x_arg or g.get("x_arg") or ())
    )


@click.command("upgrade")
@click.option("-d", "--directory", default=None, help='Migration script directory (default is "migrations")')
@click.option("--sql", is_flag=True, help="Don't emit SQL to database - dump to standard output instead")
@click.option("--tag", default=None, help='Arbitrary "tag" name - can be used by custom env.py scripts')
@click.option("-x", "--x-arg", multiple=True, help="Additional arguments consumed by custom env.py scripts")
@click.option(
    "--skip-preflight",
    is_flag=True,
    help="Apply the revisions without running their pre-flight checks first (each revision still refuses "
    "data it cannot accept, but maybe only after some of its steps have run).",
)
@lock_threshold_option
@click.argument("revision", default="head")
@with_appcontext
def upgrade_command(
    directory: str | None,
    sql: bool,
    tag: str | None,
    x_arg: tuple[str, ...],
    skip_preflight: bool,
    lock_threshold: float,
    revision: str,
) -> None:
    """Upgrade to a later version, after the pre-flight checks of the revisions it applies (see `db preflight`)."""
    config = _migrate_config(directory, x_arg)
    if not sql and not skip_preflight:
        config.attributes["preflight"] = UpgradeGate(lock_threshold)
    catch_errors(command.upgrade)(config, revision, sql=sql, tag=tag)


@click.command("preflight")
@click.option("-d", "--directory", default=None, help='Migration script directory (default is "migrations")')
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--fix", is_flag=True, help="Apply the safe fixes (clearing dangling references), then check again."
)
@click.option("--yes", is_flag=True, help="With --fix: do not ask for confirmation.")
@lock_threshold_option
@click.argument("revision", default="head")
@with_appcontext
def preflight_command(
    directory: str | None, as_json: bool, fix: bool, yes: bool, lock_threshold: float, revision: str
) -> None:
    """Check the database against every revision between its alembic_version and REVISION (default head; below
    the current one: a downgrade). Changes nothing (without --fix). Exit 0: it can run; 1: it cannot."""
    script = ScriptDirectory.from_config(_migrate_config(directory))
    with db.engine.connect() as connection:
        try:
            moves = plan(script, current_heads(connection), revision)
        except RevisionError as error:  # an unknown revision, several heads...
            raise click.ClickException(str(error)) from None
        report = run(connection, moves, lock_threshold)
        applied: list[Applied] | None = None
        if fix:
            if not as_json:
                click.echo(report.as_text())
            applied = _fix(connection, moves, report, yes, as_json)
            if applied:
                report = run(connection, moves, lock_threshold)
                if not as_json:
                    click.echo("\nAfter the fixes:\n")
        if as_json:
            document = report.as_dict()
            if applied is not None:
                document["applied_fixes"] = [
                    {
                        **vars(change),
                        "changed": [{"id": row_id, "was": old} for row_id, old in change.changed],
                    }
                    for change in applied
                ]
            click.echo(json.dumps(document, indent=2, default=str))
        elif applied is None or applied:
            click.echo(report.as_text())
    raise SystemExit(report.exit_code)


def _fix(connection: Connection, moves: Plan, report: Report, yes: bool, quiet: bool) -> list[Applied]:
    safe = [finding for finding in report.findings if finding.safe_fix]
    say = (lambda message: click.echo(message, err=True)) if quiet else click.echo
    if not safe:
        say("\n--fix: nothing it may change (it only clears dangling references).")
        return []
    say(f"\n--fix will run, in one transaction ({sum(finding.count for finding in safe)} row(s)):")
    for finding in safe:
        say(f"  {finding.fix_sql}")
    if not yes and not click.confirm("Apply these changes?", err=True):
        say("Nothing was changed.")
        return []
    applied = apply_safe_fixes(connection, moves)
    for change in applied:
        say(
            f'Set "{change.table}"."{change.column}" to NULL on {len(change.changed)} row(s), ids: '
            + ", ".join(str(row_id) for row_id, _old in change.changed)
            + " (old values in the log)."
        )
    return applied


def db_group() -> click.Group:
    group = click.Group(
        name="db",
        params=flask_migrate_db.params,
        callback=flask_migrate_db.callback,
        help=flask_migrate_db.help,
        commands=dict(flask_migrate_db.commands),
    )
    group.add_command(upgrade_command)
    group.add_command(preflight_command)
    return group
