"""How rows reach the database: COPY as the tables' owner, with each table's upkeep deferred to the stage's end.

A stage runs in one transaction (so an interrupted stage leaves nothing behind, and a second run resumes there).
For every table it loads, inside that transaction:
- LOCK ... ACCESS EXCLUSIVE: the ids reserved below cannot be taken by anyone else, and no one sees the table
  without its indexes;
- its plain indexes and foreign keys are dropped and, after the COPY, made again from their own definitions
  (pg_get_indexdef, pg_get_constraintdef): one sort per index and one anti-join per key instead of millions of
  row-by-row updates and checks. The committed schema is the one we started from (the tests compare the
  catalog before and after);
- FORCE ROW LEVEL SECURITY is lifted and restored: COPY FROM refuses a table whose policies apply to the user,
  and the owner is held to them only while forced;
- the triggers a stage names are disabled and re-enabled; the stage writes what they would have written (the
  messages' unread counters), and the tests compare it with a recount.
Row-level BEFORE triggers that derive columns (a listing's search vector and coordinates) stay on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice

import psycopg
from psycopg import sql
from tqdm import tqdm

from models.types import INT4_MAX

CROSS_TENANT_REASON = "seed-scale: loading data at scale"
CHUNK_ROWS = 20_000
NULL = "\\N"


class SeedError(RuntimeError):
    """A problem the command reports in one line, having written nothing (or only whole stages before it)."""


def connect(url: str) -> psycopg.Connection:
    conn = psycopg.connect(url, autocommit=True)
    # The tenant tables' policies hold the owner too: reads and writes here span every breeder, for this reason.
    conn.execute("SELECT set_config('app.cross_tenant', %s, false)", (CROSS_TENANT_REASON,))
    conn.execute("SET synchronous_commit = off")
    conn.execute("SET statement_timeout = 0")
    # Two stages run at once and each takes a brief lock on a table the other's keys point at.
    conn.execute("SET lock_timeout = '10min'")
    conn.execute("SET maintenance_work_mem = '512MB'")
    conn.execute("SET work_mem = '64MB'")
    return conn


def require_owner(conn: psycopg.Connection, tables: Iterable[str]) -> None:
    for table in tables:
        owns = conn.execute(
            "SELECT pg_has_role(current_user, relowner, 'USAGE') FROM pg_class WHERE oid = %s::regclass",
            (sql.Identifier(table).as_string(conn),),
        ).fetchone()
        if not owns or not owns[0]:
            user = conn.execute("SELECT current_user").fetchone()[0]  # type: ignore[index]
            raise SeedError(
                f"seed-scale must connect as the owner of the tables (MIGRATION_DATABASE_URL); role {user!r} does "
                f'not own "{table}".'
            )


@dataclass
class Deferred:
    """What was lifted from one table for the load, to be put back as it was."""

    table: str
    indexes: list[str] = field(default_factory=list)  # CREATE INDEX statements
    foreign_keys: list[tuple[str, str]] = field(default_factory=list)  # (name, definition)
    triggers: list[str] = field(default_factory=list)
    forced_row_security: bool = False


def _defer(conn: psycopg.Connection, table: str, triggers: Sequence[str]) -> Deferred:
    name = sql.Identifier(table)
    regclass = name.as_string(conn)
    conn.execute(sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(name))
    deferred = Deferred(table)
    # Indexes no constraint stands on (a primary key, a UNIQUE constraint, a key another table points at).
    rows = conn.execute(
        """SELECT format('%%I.%%I', n.nspname, c.relname), pg_get_indexdef(i.indexrelid)
           FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE i.indrelid = %s::regclass
             AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
           ORDER BY c.relname""",
        (regclass,),
    ).fetchall()
    for qualified, definition in rows:
        conn.execute(sql.SQL("DROP INDEX {}").format(sql.SQL(qualified)))
        deferred.indexes.append(definition)
    for constraint, definition in conn.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
        (regclass,),
    ).fetchall():
        conn.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(name, sql.Identifier(constraint)))
        deferred.foreign_keys.append((constraint, definition))
    for trigger in triggers:
        enabled = conn.execute(
            "SELECT tgenabled <> 'D' FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname = %s",
            (regclass, trigger),
        ).fetchone()
        if enabled and enabled[0]:
            conn.execute(sql.SQL("ALTER TABLE {} DISABLE TRIGGER {}").format(name, sql.Identifier(trigger)))
            deferred.triggers.append(trigger)
    forced = conn.execute("SELECT relforcerowsecurity FROM pg_class WHERE oid = %s::regclass", (regclass,))
    deferred.forced_row_security = bool(forced.fetchone()[0])  # type: ignore[index]
    if deferred.forced_row_security:
        conn.execute(sql.SQL("ALTER TABLE {} NO FORCE ROW LEVEL SECURITY").format(name))
    return deferred


def _restore(conn: psycopg.Connection, deferred: Deferred) -> None:
    name = sql.Identifier(deferred.table)
    for definition in deferred.indexes:
        conn.execute(sql.SQL(definition))  # type: ignore[arg-type]
    for constraint, definition in deferred.foreign_keys:
        conn.execute(
            sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                name,
                sql.Identifier(constraint),
                sql.SQL(definition),  # type: ignore[arg-type]
            )
        )
    for trigger in deferred.triggers:
        conn.execute(sql.SQL("ALTER TABLE {} ENABLE TRIGGER {}").format(name, sql.Identifier(trigger)))
    if deferred.forced_row_security:
        conn.execute(sql.SQL("ALTER TABLE {} FORCE ROW LEVEL SECURITY").format(name))


@dataclass
class Stage:
    """One stage's transaction: the tables it loads (upkeep deferred), a progress bar, and its figures."""

    conn: psycopg.Connection
    label: str
    total_rows: int
    rows: dict[str, int] = field(default_factory=dict)
    bar: tqdm | None = None

    def reserve_ids(self, table: str, count: int) -> int:
        """The first of `count` consecutive ids of `table` that nothing else will take; the sequence moves past
        them. The table is locked by this stage, so no one inserts meanwhile."""
        if count <= 0:
            return 0
        regclass = sql.Identifier(table).as_string(self.conn)
        sequence = self.conn.execute("SELECT pg_get_serial_sequence(%s, 'id')", (regclass,)).fetchone()[0]  # type: ignore[index]
        first = self.conn.execute(
            sql.SQL("SELECT greatest(nextval(%s), (SELECT coalesce(max(id), 0) + 1 FROM {}))").format(
                sql.Identifier(table)
            ),
            (sequence,),
        ).fetchone()[0]  # type: ignore[index]
        if first + count - 1 > INT4_MAX:
            raise SeedError(f'"{table}" ids would pass {INT4_MAX:,}; seed fewer rows.')
        self.conn.execute("SELECT setval(%s, %s)", (sequence, first + count - 1))
        return first

    def copy(self, table: str, columns: Sequence[str], lines: Iterable[str], progress: bool = True) -> int:
        """COPY text-format lines (tab-separated, newline-terminated, already escaped) into `table`."""
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        written = 0
        iterator = iter(lines)
        with self.conn.cursor() as cursor, cursor.copy(statement) as copy:
            while chunk := list(islice(iterator, CHUNK_ROWS)):
                copy.write("".join(chunk))
                written += len(chunk)
                if progress and self.bar is not None:
                    self.bar.update(len(chunk))
        self.rows[table] = self.rows.get(table, 0) + written
        return written


@contextmanager
def stage(
    conn: psycopg.Connection,
    label: str,
    total_rows: int,
    tables: Sequence[str],
    triggers: dict[str, Sequence[str]] | None = None,
    position: int = 0,
    report: Callable[[str], object] = tqdm.write,
) -> Iterator[Stage]:
    """Load one stage in one transaction, then VACUUM ANALYZE its tables; print its figures."""
    started = time.perf_counter()
    current = Stage(conn, label, total_rows)
    with conn.transaction():
        deferred = [_defer(conn, table, (triggers or {}).get(table, ())) for table in tables]
        with tqdm(
            total=total_rows, desc=label, unit=" rows", unit_scale=True, leave=False, mininterval=1
        ) as bar:
            current.bar = bar
            yield current
            current.bar = None
        loaded = time.perf_counter()
        for item in deferred:
            _restore(conn, item)
    rebuilt = time.perf_counter()
    for table in tables:
        conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(table)))
    finished = time.perf_counter()
    rows = sum(current.rows.values())
    elapsed = finished - started
    detail = ", ".join(f"{table} {count:,}" for table, count in current.rows.items())
    report(
        f"{label}: {rows:,} rows in {elapsed:.1f} s = {rows / max(elapsed, 1e-9):,.0f} rows/s "
        f"(COPY {loaded - started:.1f} s, indexes and keys {rebuilt - loaded:.1f} s, "
        f"VACUUM ANALYZE {finished - rebuilt:.1f} s; {detail})"
    )


class Clock:
    """Timestamps as COPY text, counted back in seconds from one moment. A full run formats tens of millions,
    so the "YYYY-MM-DD HH:" part is cached per hour and the "MM:SS" part taken from a table."""

    _MINUTES_SECONDS = tuple(f"{m:02d}:{s:02d}" for m in range(60) for s in range(60))

    EPOCH = datetime(1970, 1, 1)

    def __init__(self, now: datetime) -> None:
        """`now`: naive UTC, as the timestamp columns hold it."""
        self._now = int((now - self.EPOCH).total_seconds())
        self._hours: dict[int, str] = {}

    def ago(self, seconds: int) -> str:
        moment = self._now - seconds
        hour, rest = divmod(moment, 3600)
        prefix = self._hours.get(hour)
        if prefix is None:
            prefix = self._hours[hour] = (self.EPOCH + timedelta(hours=hour)).strftime("%Y-%m-%d %H:")
        return prefix + self._MINUTES_SECONDS[rest]


def text_array(values: Iterable[str]) -> str:
    """A text[] literal for COPY: every element quoted (the words hold no quotes or backslashes)."""
    return "{" + ",".join(f'"{value}"' for value in values) + "}"
