"""The pre-flight report: one object, rendered as text for people and as JSON for tools."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from app.preflight.checks import Finding
from app.preflight.locks import PROBE_ROWS, Rate

COMMAND = "flask --app wsgi db preflight"


@dataclass
class LockItem:
    revision: str
    table: str
    mode: str
    blocks: str
    statement: str
    online: bool
    size_bytes: int
    rows_estimate: int | None
    work_bytes: int  # bytes read or rewritten while the lock is held (0: catalog only)
    recipe: str | None = None
    work_seconds: float | None = None
    held_seconds: float | None = None
    over_threshold: bool = False


@dataclass
class InvalidIndex:
    name: str
    table: str
    definition: str
    size_bytes: int
    fix_sql: str = field(init=False)

    def __post_init__(self) -> None:
        self.fix_sql = f'DROP INDEX CONCURRENTLY IF EXISTS "{self.name}";'


@dataclass
class Report:
    database: str
    server_version: str
    direction: str
    current: list[str]
    target: str
    revisions: list[str]
    findings: list[Finding]
    invalid_indexes: list[InvalidIndex]
    locks: list[LockItem]
    rate: Rate | None
    lock_threshold: float
    undeclared: list[str]

    @property
    def can_run(self) -> bool:
        return not self.findings

    @property
    def exit_code(self) -> int:
        return 0 if self.can_run else 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "server_version": self.server_version,
            "direction": self.direction,
            "current": self.current,
            "target": self.target,
            "revisions": self.revisions,
            "can_run": self.can_run,
            "exit_code": self.exit_code,
            "blockers": [asdict(finding) for finding in self.findings],
            "invalid_indexes": [asdict(index) for index in self.invalid_indexes],
            "locks": [asdict(item) for item in self.locks],
            "lock_threshold_seconds": self.lock_threshold,
            "rewrite_rate": asdict(self.rate) if self.rate else None,
            "revisions_without_checks": self.undeclared,
        }

    def as_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, default=str)

    def as_text(self) -> str:
        lines = [self._title(), f"Database: {self.database} (PostgreSQL {self.server_version})"]
        if not self.revisions:
            return "\n".join([*lines, "", "Result: OK, nothing to run."])
        lines += self._blockers() + self._warnings() + self._locks()
        lines += ["", self._result()]
        return "\n".join(lines)

    def _title(self) -> str:
        current = ", ".join(self.current) or "an empty database"
        if not self.revisions:
            return f"Pre-flight: the database is at {current}; no revision between it and {self.target}."
        return (
            f"Pre-flight of the {self.direction} from {current} to {self.target}: "
            f"{len(self.revisions)} revision(s), {self.revisions[0]} .. {self.revisions[-1]}"
        )

    def _blockers(self) -> list[str]:
        if not self.findings:
            return ["", f"Blockers: none. The data fits every constraint the {self.direction} adds."]
        lines = ["", f"Blockers ({len(self.findings)}): the {self.direction} would stop on these rows."]
        for number, finding in enumerate(self.findings, 1):
            lines += [
                f"  {number}. [{finding.revision}] {finding.name}",
                f"     {finding.message}",
                f"     ids: {', '.join(str(row_id) for row_id in finding.sample_ids)}"
                + (" ..." if finding.count > len(finding.sample_ids) else ""),
            ]
            if finding.fix_sql is None:
                lines.append("     fix: none to suggest; correct these rows by hand.")
                continue
            how = (
                f"safe, `{COMMAND} --fix` applies it"
                if finding.safe_fix
                else "review it first; --fix leaves it to you"
            )
            lines.append(f"     fix ({how}):")
            lines += [f"       {line}" for line in finding.fix_sql.splitlines()]
        return lines

    def _warnings(self) -> list[str]:
        notes = [
            f'  - INVALID index "{index.name}" on "{index.table}" ({size(index.size_bytes)}), left by an '
            f"interrupted CREATE INDEX CONCURRENTLY (or one being built right now): {index.definition}. "
            f"It is not used by queries but slows every write. A revision that builds an index of this name "
            f"drops it first; otherwise: {index.fix_sql}"
            for index in self.invalid_indexes
        ]
        notes += [
            f"  - {revision} declares no pre-flight checks; nothing was checked for it."
            for revision in self.undeclared
        ]
        if self.rate is not None and self.rate.bytes_per_second is None:
            notes.append(
                f"  - The rewrite rate could not be measured ({self.rate.error}): no lock estimates."
            )
        if not notes:
            return []
        return ["", f"Warnings ({len(notes)}): the {self.direction} can run, but read these.", *notes]

    def _locks(self) -> list[str]:
        if not self.locks:
            return ["", "Locks: none on a table that exists now."]
        lines = ["", self._rate_line()]
        for item in self.locks:
            rows = "rows unknown" if item.rows_estimate is None else f"~{item.rows_estimate:,} rows"
            lines.append(
                f'  [{item.revision}] "{item.table}" ({size(item.size_bytes)}, {rows}): {item.mode} '
                f"({item.blocks}) for {item.statement}"
            )
            if item.online:
                continue
            work = "catalog only" if not item.work_bytes else f"work {seconds(item.work_seconds)}"
            flag = f", OVER the {self.lock_threshold:g} s threshold" if item.over_threshold else ""
            lines.append(
                f"      {work}; held {seconds(item.held_seconds)} until the transaction commits{flag}"
            )
            if item.over_threshold:
                recipe = item.recipe or "No online recipe in docs/schema-notes.md: plan a maintenance window."
                lines += [f"      | {line}" for line in recipe.splitlines()]
        return lines

    def _rate_line(self) -> str:
        if self.rate is None or self.rate.bytes_per_second is None:
            return f"Locks (threshold {self.lock_threshold:g} s; no rewrite rate):"
        return (
            f"Locks (threshold {self.lock_threshold:g} s; rewrite rate measured on this server: "
            f"{size(self.rate.bytes_per_second)}/s on a {PROBE_ROWS:,}-row TEMP table, so a floor: real tables "
            "also write WAL and serve traffic):"
        )

    def _result(self) -> str:
        if self.can_run:
            over = sum(item.over_threshold for item in self.locks)
            tail = f"; {over} lock(s) over the threshold, see the recipes above" if over else ""
            return f"Result: OK, the {self.direction} can run{tail}."
        again = COMMAND if self.direction == "upgrade" else f"{COMMAND} {self.target}"
        return (
            f"Result: BLOCKED by {len(self.findings)} blocker(s). Nothing was changed. Clear them (the SQL above; "
            f"`{again} --fix` applies the safe ones), then run `{again}` again."
        )


def size(count: float) -> str:
    """pg_size_pretty's units."""
    units = ["bytes", "kB", "MB", "GB", "TB"]
    while count >= 1024 and len(units) > 1:
        count /= 1024
        units.pop(0)
    return f"{count:.0f} {units[0]}" if units[0] == "bytes" else f"{count:.1f} {units[0]}"


def seconds(value: float | None) -> str:
    if value is None:
        return "unknown"
    if value < 0.01:
        return "< 0.01 s"
    if value < 60:
        return f"≈ {value:.2f} s"
    return f"≈ {int(value // 60)} min {value % 60:.0f} s"
