"""The locks a revision takes on existing tables, and how long they may last on this server.

A revision lists them, in the order it takes them, as `Lock` (held until its transaction commits; `scans` are the
tables read or rewritten in full meanwhile) and `Online` (SHARE UPDATE EXCLUSIVE: CREATE INDEX CONCURRENTLY,
VALIDATE CONSTRAINT; reads and writes go on). The time a lock is held is estimated from a rewrite rate measured here
and now, on a scratch TEMP table that is rolled back.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from app.preflight.checks import Catalog, quote

SCHEMA_NOTES = Path(__file__).resolve().parents[2] / "docs" / "schema-notes.md"
PROBE_ROWS = 100_000
BLOCKS = {
    "ACCESS EXCLUSIVE": "reads and writes wait",
    "EXCLUSIVE": "writes wait",
    "SHARE ROW EXCLUSIVE": "writes wait",
    "SHARE": "writes wait",
}


@dataclass(frozen=True)
class Recipe:
    """The online way to do a step, from docs/schema-notes.md: the section under `heading`, or only its paragraph
    that begins with `starting_with`."""

    heading: str
    starting_with: str | None = None

    @property
    def text(self) -> str:
        return _recipe_text(self.heading, self.starting_with)


@cache
def _recipe_text(heading: str, starting_with: str | None) -> str:
    where = f'docs/schema-notes.md, "{heading}"'
    try:
        notes = SCHEMA_NOTES.read_text(encoding="utf-8")
    except OSError:
        return f"See {where}."
    match = re.search(rf"^#+ {re.escape(heading)}\n(.*?)(?=^#|\Z)", notes, re.MULTILINE | re.DOTALL)
    if match is None:
        return f"See {where}."
    body = match.group(1).strip()
    if starting_with and starting_with in body:
        body = body[body.index(starting_with) :].split("\n\n")[0]
    return f"From {where}:\n{body}"


@dataclass(frozen=True)
class Lock:
    """`mode` on `table` from this step until the revision's transaction commits. `scans`: the tables this step
    reads or rewrites in full (a table twice: rewritten twice); none means a catalog-only change."""

    table: str
    statement: str
    mode: str = "ACCESS EXCLUSIVE"
    scans: tuple[str, ...] = ()
    recipe: Recipe | None = None


@dataclass(frozen=True)
class Online:
    """A step that scans `table` under SHARE UPDATE EXCLUSIVE: reads and writes go on (it waits for the
    transactions already running on the table, and blocks only other DDL and VACUUM)."""

    table: str
    statement: str
    mode: str = "SHARE UPDATE EXCLUSIVE"


LockStep = Lock | Online


@dataclass
class Rate:
    """Bytes per second of an ALTER COLUMN ... TYPE bigint rewrite (heap and index) on this server."""

    bytes_per_second: float | None
    sample_rows: int
    sample_bytes: int
    seconds: float
    error: str | None = None


def measure_rewrite_rate(connection: Connection, rows: int = PROBE_ROWS) -> Rate:
    """Time a rewrite of `rows` generated rows in a TEMP table, in a transaction that is rolled back. TEMP tables
    write no WAL and compete with no traffic, so the real rewrite will be slower: the estimates are a floor."""
    try:
        connection.execute(
            text(
                "CREATE TEMP TABLE preflight_rewrite_probe (id integer PRIMARY KEY, amount integer NOT NULL, "
                "balance integer NOT NULL, note text) ON COMMIT DROP"
            )
        )
        connection.execute(
            text(
                "INSERT INTO preflight_rewrite_probe SELECT g, g, -g, md5(g::text) "
                "FROM generate_series(1, :rows) AS g"
            ),
            {"rows": rows},
        )
        size = connection.execute(text("SELECT pg_total_relation_size('preflight_rewrite_probe')")).scalar()
        started = time.perf_counter()
        connection.execute(text("ALTER TABLE preflight_rewrite_probe ALTER COLUMN amount TYPE bigint"))
        seconds = time.perf_counter() - started
    except DBAPIError as error:  # a read-only standby, no TEMP privilege...
        return Rate(None, rows, 0, 0.0, error=str(error.orig).strip().splitlines()[0])
    finally:
        connection.rollback()
    return Rate(size / max(seconds, 1e-6), rows, int(size), seconds)


@dataclass
class TableSize:
    bytes: int
    rows_estimate: int | None  # None: never analyzed


def table_size(catalog: Catalog, table: str) -> TableSize | None:
    if not catalog.has_table(table):
        return None
    size, rows = catalog.connection.execute(
        text("SELECT pg_total_relation_size(oid), reltuples FROM pg_class WHERE oid = to_regclass(:name)"),
        {"name": quote(table)},
    ).one()
    return TableSize(int(size), int(rows) if rows >= 0 else None)


def blocks(mode: str) -> str:
    return BLOCKS.get(mode, "reads and writes go on")
