"""Read a database's schema from pg_catalog, and compare two of them against the deviations contract.

A snapshot maps (kind, name) to the definition PostgreSQL itself prints, so two databases built by different
SQL compare equal exactly when PostgreSQL sees the same schema:
- ("table", T)                      -> ""
- ("column", "T.c")                 -> "<format_type> [NOT NULL] [DEFAULT <expr>]"
- ("constraint", "T.name")          -> pg_get_constraintdef (CHECK, UNIQUE, PRIMARY KEY, FOREIGN KEY with its
                                       ON DELETE / ON UPDATE, and NOT VALID while unvalidated)
- ("index", name)                   -> pg_get_indexdef (columns, sort order, UNIQUE, partial predicate);
                                       indexes that only back a constraint are covered by the constraint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

Snapshot = dict[tuple[str, str], str]

IGNORED_TABLES = ("alembic_version",)
DEVIATION_KINDS = (
    "extra-table",
    "extra-column",
    "extra-index",
    "missing-index",
    "changed-index",
    "extra-constraint",
    "changed-constraint",
    "changed-column",
)

_TABLES = """
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname <> ALL(%(ignored)s)
"""
_COLUMNS = """
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid)
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
  AND c.relname <> ALL(%(ignored)s)
"""
_CONSTRAINTS = """
SELECT c.relname, con.conname, pg_get_constraintdef(con.oid)
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relname <> ALL(%(ignored)s)
  -- PostgreSQL 18 also lists NOT NULL as constraints (contype 'n'); nullability is compared with the columns.
  AND con.contype <> 'n'
"""
_INDEXES = """
SELECT i.relname, pg_get_indexdef(i.oid), x.indisvalid
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = 'public' AND t.relname <> ALL(%(ignored)s)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = x.indexrelid AND con.contype IN ('p', 'u', 'x'))
"""


def libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def snapshot(url: str) -> Snapshot:
    params = {"ignored": list(IGNORED_TABLES)}
    result: Snapshot = {}
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        for (table,) in conn.execute(_TABLES, params):
            result[("table", table)] = ""
        for table, column, type_, not_null, default in conn.execute(_COLUMNS, params):
            definition = (
                type_ + (" NOT NULL" if not_null else "") + (f" DEFAULT {default}" if default else "")
            )
            result[("column", f"{table}.{column}")] = definition
        for table, name, definition in conn.execute(_CONSTRAINTS, params):
            result[("constraint", f"{table}.{name}")] = definition
        for name, definition, valid in conn.execute(_INDEXES, params):
            result[("index", name)] = definition + ("" if valid else " -- INVALID")
    return result


def table_of(kind: str, name: str) -> str | None:
    if kind == "table":
        return name
    if kind in ("column", "constraint"):
        return name.split(".", 1)[0]
    return None


@dataclass(frozen=True)
class Difference:
    """One way our schema (after `upgrade head`) differs from the spec's, in the deviations vocabulary."""

    line: str  # e.g. "changed-column Invoice.amountCents"
    spec: str | None  # the spec's definition, None when the spec has no such object
    ours: str | None

    def describe(self) -> str:
        return f"  {self.line}\n      spec: {self.spec if self.spec is not None else '(absent)'}\n      ours: {self.ours if self.ours is not None else '(absent)'}"


def differences(spec: Snapshot, ours: Snapshot) -> list[Difference]:
    """Everything that differs, except objects of a table that is itself an extra table (the table line covers them)."""
    extra_tables = {name for kind, name in ours if kind == "table" and ("table", name) not in spec}
    found: list[Difference] = []
    for key in sorted(spec.keys() | ours.keys()):
        kind, name = key
        in_spec, in_ours = spec.get(key), ours.get(key)
        if in_spec == in_ours:
            continue
        if kind != "table" and table_of(kind, name) in extra_tables:
            continue
        if kind == "index" and _index_table(in_spec or in_ours or "") in extra_tables:
            continue
        if in_spec is None:
            change = "extra"
        elif in_ours is None:
            change = "missing"
        else:
            change = "changed"
        found.append(Difference(f"{change}-{kind} {name}", in_spec, in_ours))
    return found


_INDEX_TABLE_RE = re.compile(r' ON (?:ONLY )?(?:public\.)?"?([^"\s(]+)"?')


def _index_table(definition: str) -> str | None:
    match = _INDEX_TABLE_RE.search(definition)
    return match.group(1) if match else None


def allowed_deviations(notes: Path) -> dict[str, str]:
    """The `deviations` block at the end of schema-notes.md: {"<kind> <name>": "reason"}."""
    text = notes.read_text(encoding="utf-8")
    blocks = re.findall(r"^```deviations[ \t]*\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)
    assert len(blocks) == 1, f"{notes} must hold exactly one ```deviations block, found {len(blocks)}"
    allowed: dict[str, str] = {}
    for raw in blocks[0].splitlines():
        line, _, reason = raw.partition("#")
        if not line.strip():
            continue
        parts = line.split()
        assert len(parts) == 2 and parts[0] in DEVIATION_KINDS, f"malformed deviations line: {raw!r}"
        assert reason.strip(), f"deviations line without a reason: {raw!r}"
        allowed[" ".join(parts)] = reason.strip()
    return allowed


def spec_sql(spec: Path) -> list[str]:
    """The ```sql blocks of the spec's PART 1 and PART 2, in document order."""
    text = spec.read_text(encoding="utf-8")
    start = text.index("## PART 1")
    end = text.index("## PART 3")
    blocks = re.findall(r"^```sql[ \t]*\n(.*?)^```", text[start:end], flags=re.MULTILINE | re.DOTALL)
    assert blocks, "no ```sql blocks found in the spec's PART 1 and PART 2"
    return blocks
