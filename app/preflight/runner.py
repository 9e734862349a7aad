"""Run the pre-flight checks of the revisions between the database's alembic_version and a target.

Each revision module declares its checks next to its code: `PREFLIGHT` for its upgrade, `PREFLIGHT_DOWNGRADE` for
its downgrade, each a list of data checks (app/preflight/checks.py) and lock steps (app/preflight/locks.py), the
lock steps in the order the revision takes them. The data is read in one REPEATABLE READ, READ ONLY transaction;
only the rewrite-rate probe (a TEMP table, rolled back) and `apply_safe_fixes` ever write.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from alembic.script import Script, ScriptDirectory
from alembic.script.revision import RangeNotAncestorError
from sqlalchemy import text
from sqlalchemy.engine import Connection

from app.preflight.checks import Catalog, DanglingReference, DataCheck
from app.preflight.locks import Lock, LockStep, Online, Rate, blocks, measure_rewrite_rate, table_size
from app.preflight.report import InvalidIndex, LockItem, Report

log = logging.getLogger("app.preflight")

DEFAULT_LOCK_THRESHOLD = 5.0
ATTRIBUTE = {"upgrade": "PREFLIGHT", "downgrade": "PREFLIGHT_DOWNGRADE"}


@dataclass
class Plan:
    """The revisions a move from `current` to `target` runs, in the order it runs them."""

    direction: str  # "upgrade" or "downgrade"
    current: tuple[str, ...]
    target: str
    revisions: list[Script]

    def declarations(self) -> Iterator[tuple[str, DataCheck | LockStep]]:
        for script in self.revisions:
            for entry in getattr(script.module, ATTRIBUTE[self.direction], None) or ():
                yield script.revision, entry

    def undeclared(self) -> list[str]:
        """Revisions to upgrade that have no PREFLIGHT list (a downgrade's checks are optional)."""
        if self.direction != "upgrade":
            return []
        return [script.revision for script in self.revisions if not hasattr(script.module, "PREFLIGHT")]


def plan(script: ScriptDirectory, current: Iterable[str], target: str | None) -> Plan:
    """Upgrade when `target` is at or above the current revision, downgrade when it is below (None: base)."""
    heads = tuple(current)
    try:
        found = list(script.iterate_revisions(target, heads))
        return Plan("upgrade", heads, str(target), list(reversed(found)))
    except RangeNotAncestorError:
        destination = None if target == "base" else target
        return Plan("downgrade", heads, str(target), list(script.iterate_revisions(heads, destination)))


def current_heads(connection: Connection) -> tuple[str, ...]:
    """The alembic_version rows (none for a database no revision has run on)."""
    heads: tuple[str, ...] = ()
    if connection.execute(text("SELECT to_regclass('alembic_version')")).scalar() is not None:
        heads = tuple(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
    connection.rollback()
    return heads


def run(connection: Connection, moves: Plan, lock_threshold: float = DEFAULT_LOCK_THRESHOLD) -> Report:
    """Check the database as it stands against every revision of `moves`; change nothing."""
    connection.rollback()
    connection.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
    catalog = Catalog(connection)
    findings = []
    steps: list[tuple[str, LockStep]] = []
    for revision, entry in moves.declarations():
        if isinstance(entry, Lock | Online):
            steps.append((revision, entry))
        elif (finding := entry.find(catalog)) is not None:
            finding.revision = revision
            findings.append(finding)
    items = _lock_items(catalog, steps)
    invalid = _invalid_indexes(connection)
    version = connection.execute(text("SHOW server_version")).scalar()
    connection.rollback()

    needs_rate = any(item.work_bytes for item in items)
    rate = measure_rewrite_rate(connection) if needs_rate else None
    _estimate(items, rate, lock_threshold, per_revision=moves.direction == "upgrade")
    return Report(
        database=connection.engine.url.render_as_string(hide_password=True),
        server_version=str(version),
        direction=moves.direction,
        current=list(moves.current),
        target=moves.target,
        revisions=[script.revision for script in moves.revisions],
        findings=findings,
        invalid_indexes=invalid,
        locks=items,
        rate=rate,
        lock_threshold=lock_threshold,
        undeclared=moves.undeclared(),
    )


def _lock_items(catalog: Catalog, steps: list[tuple[str, LockStep]]) -> list[LockItem]:
    """One item per step on a table that exists now (a table a pending revision creates starts empty)."""
    items = []
    for revision, step in steps:
        size = table_size(catalog, step.table)
        if size is None:
            continue
        scanned = [table_size(catalog, table) for table in getattr(step, "scans", ())]
        recipe = getattr(step, "recipe", None)
        items.append(
            LockItem(
                revision=revision,
                table=step.table,
                mode=step.mode,
                blocks=blocks(step.mode),
                statement=step.statement,
                online=isinstance(step, Online),
                size_bytes=size.bytes,
                rows_estimate=size.rows_estimate,
                work_bytes=sum(found.bytes for found in scanned if found is not None),
                recipe=recipe.text if recipe else None,
            )
        )
    return items


def _estimate(items: list[LockItem], rate: Rate | None, threshold: float, per_revision: bool) -> None:
    """Work time of each blocking step, and how long its lock is held: from the step to the end of its
    transaction (one per revision for an upgrade; one for the whole of a downgrade, see migrations/env.py)."""
    if rate is None or rate.bytes_per_second is None:
        return
    blocking = [item for item in items if not item.online]
    for item in blocking:
        item.work_seconds = item.work_bytes / rate.bytes_per_second
    for index, item in enumerate(blocking):
        rest = [
            later
            for later in blocking[index:]
            if not per_revision or later.revision == item.revision  # same transaction
        ]
        item.held_seconds = sum(later.work_seconds or 0.0 for later in rest)
        item.over_threshold = item.held_seconds > threshold


def _invalid_indexes(connection: Connection) -> list[InvalidIndex]:
    rows = connection.execute(
        text(
            """SELECT index.relname, tbl.relname, pg_get_indexdef(i.indexrelid), pg_relation_size(i.indexrelid)
               FROM pg_index i
               JOIN pg_class index ON index.oid = i.indexrelid
               JOIN pg_class tbl ON tbl.oid = i.indrelid
               WHERE NOT i.indisvalid AND index.relnamespace = current_schema()::regnamespace
               ORDER BY 2, 1"""
        )
    ).all()
    return [InvalidIndex(name, table, definition, int(size)) for name, table, definition, size in rows]


@dataclass
class Applied:
    revision: str
    name: str
    table: str
    column: str
    changed: list[tuple[Any, Any]]  # (id, old value)


def safe_fixes(moves: Plan) -> list[tuple[str, DanglingReference]]:
    """The fixes `--fix` may apply: clearing dangling references (what ON DELETE SET NULL would have done)."""
    seen, fixes = set(), []
    for revision, entry in moves.declarations():
        if isinstance(entry, DanglingReference) and (entry.table, entry.column) not in seen:
            seen.add((entry.table, entry.column))
            fixes.append((revision, entry))
    return fixes


def apply_safe_fixes(connection: Connection, moves: Plan) -> list[Applied]:
    """Clear every dangling reference the plan's checks find, in one transaction, and log each row changed."""
    connection.rollback()
    connection.execute(
        text("SELECT set_config('lock_timeout', :value, true)"),
        {"value": os.environ.get("MIGRATION_LOCK_TIMEOUT", "5s")},
    )
    catalog = Catalog(connection)
    applied = []
    for revision, check in safe_fixes(moves):
        if not catalog.has_columns(check.table, check.column):
            continue
        changed = check.clear(catalog)
        if changed:
            applied.append(Applied(revision, check.name, check.table, check.column, changed))
    connection.commit()
    for fix in applied:
        log.warning(
            'db preflight --fix (%s, %s): set "%s"."%s" to NULL on %d row(s): %s',
            fix.revision,
            fix.name,
            fix.table,
            fix.column,
            len(fix.changed),
            ", ".join(f"id {row_id} (was {old})" for row_id, old in fix.changed),
        )
    return applied
