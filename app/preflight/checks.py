"""Data checks a revision declares in its PREFLIGHT list: rows that a CHECK, UNIQUE or FOREIGN KEY it adds would
refuse. Each check reads the database as it stands, never writes (except a safe fix, applied only on request),
and tolerates tables and columns that a pending revision has yet to create (they will start empty)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

SAMPLE_SIZE = 10


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class Catalog:
    """Which tables and columns exist right now (answers cached for one pre-flight run)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._tables: dict[str, bool] = {}
        self._columns: dict[tuple[str, str], bool] = {}

    def has_table(self, table: str) -> bool:
        if table not in self._tables:
            self._tables[table] = (
                self.connection.execute(text("SELECT to_regclass(:name)"), {"name": quote(table)}).scalar()
                is not None
            )
        return self._tables[table]

    def has_columns(self, table: str, *columns: str) -> bool:
        return self.has_table(table) and all(self._has_column(table, column) for column in columns)

    def _has_column(self, table: str, column: str) -> bool:
        if (table, column) not in self._columns:
            self._columns[(table, column)] = bool(
                self.connection.execute(
                    text(
                        "SELECT count(*) FROM pg_attribute WHERE attrelid = to_regclass(:table) "
                        "AND attname = :column AND attnum > 0 AND NOT attisdropped"
                    ),
                    {"table": quote(table), "column": column},
                ).scalar()
            )
        return self._columns[(table, column)]


@dataclass
class Finding:
    """Rows of `table` that `name` (a constraint, an index or a column type) would refuse."""

    name: str
    table: str
    message: str
    count: int
    sample_ids: list[Any]
    fix_sql: str | None
    safe_fix: bool = False
    revision: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def matching(connection: Connection, table: str, predicate: str) -> tuple[int, list[Any]]:
    """How many rows of `table` match `predicate`, and the first ids."""
    count = connection.execute(text(f"SELECT count(*) FROM {quote(table)} WHERE {predicate}")).scalar()
    sample = connection.execute(
        text(f"SELECT id FROM {quote(table)} WHERE {predicate} ORDER BY id LIMIT {SAMPLE_SIZE}")
    ).scalars()
    return int(count or 0), list(sample)


@dataclass(frozen=True)
class DanglingReference:
    """`table.column` values that match no `target` row, which the foreign key `name` would refuse. Clearing them
    (NULL) is what the key's ON DELETE SET NULL would have done: the one fix `db preflight --fix` applies."""

    table: str
    column: str
    target: str
    name: str
    target_column: str = "id"

    def predicate(self, catalog: Catalog) -> str:
        column = f"{quote(self.table)}.{quote(self.column)}"
        if not catalog.has_columns(self.target, self.target_column):
            return f"{column} IS NOT NULL"
        return (
            f"{column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {quote(self.target)} AS target "
            f"WHERE target.{quote(self.target_column)} = {column})"
        )

    def find(self, catalog: Catalog) -> Finding | None:
        if not catalog.has_columns(self.table, self.column):
            return None
        predicate = self.predicate(catalog)
        count, sample = matching(catalog.connection, self.table, predicate)
        if not count:
            return None
        message = (
            f'{count} row(s) of "{self.table}" have a "{self.column}" that matches no "{self.target}" row'
        )
        if not catalog.has_table(self.target):
            message += f' ("{self.target}" does not exist yet: a pending revision creates it empty)'
        return Finding(
            name=self.name,
            table=self.table,
            message=message,
            count=count,
            sample_ids=sample,
            fix_sql=f"UPDATE {quote(self.table)} SET {quote(self.column)} = NULL WHERE {predicate};",
            safe_fix=True,
            details={"column": self.column, "target": self.target},
        )

    def clear(self, catalog: Catalog) -> list[tuple[Any, Any]]:
        """Set the dangling values to NULL; return (id, old value) of every row changed."""
        connection = catalog.connection
        rows = connection.execute(
            text(
                f"SELECT id, {quote(self.column)} FROM {quote(self.table)} WHERE {self.predicate(catalog)} "
                "ORDER BY id FOR UPDATE"
            )
        ).all()
        if rows:
            connection.execute(
                text(f"UPDATE {quote(self.table)} SET {quote(self.column)} = NULL WHERE id = ANY(:ids)"),
                {"ids": [row[0] for row in rows]},
            )
        return [(row[0], row[1]) for row in rows]


@dataclass(frozen=True)
class Duplicates:
    """Rows sharing `columns` (all NOT NULL, and matching `where`), which the UNIQUE index `name` would refuse.
    With `clear`, the suggested fix sets that column to NULL on every row but the oldest of each group (not
    applied by --fix: which row keeps the value is for a person to decide)."""

    table: str
    columns: tuple[str, ...]
    name: str
    where: str | None = None
    clear: str | None = None

    def _predicate(self) -> str:
        conditions = [f"{quote(column)} IS NOT NULL" for column in self.columns]
        if self.where:
            conditions.append(f"({self.where})")
        return " AND ".join(conditions)

    def find(self, catalog: Catalog) -> Finding | None:
        if not catalog.has_columns(self.table, *self.columns):
            return None
        key = ", ".join(quote(column) for column in self.columns)
        predicate = self._predicate()
        groups = f"SELECT {key} FROM {quote(self.table)} WHERE {predicate} GROUP BY {key} HAVING count(*) > 1"
        count, sample = matching(catalog.connection, self.table, f"{predicate} AND ({key}) IN ({groups})")
        if not count:
            return None
        group_count = catalog.connection.execute(
            text(f"SELECT count(*) FROM ({groups}) AS duplicated")
        ).scalar()
        shown = ", ".join(f'"{column}"' for column in self.columns)
        return Finding(
            name=self.name,
            table=self.table,
            message=(
                f'{count} row(s) of "{self.table}" share their ({shown}) with another row '
                f'({group_count} value(s) held more than once), so "{self.name}" cannot be built'
            ),
            count=count,
            sample_ids=sample,
            fix_sql=self._fix_sql(),
            details={"groups": group_count, "columns": list(self.columns)},
        )

    def _fix_sql(self) -> str | None:
        if self.clear is None:
            return None
        same = " AND ".join(
            f"older.{quote(column)} = {quote(self.table)}.{quote(column)}" for column in self.columns
        )
        return (
            f"-- keeps the value on the oldest row (lowest id) of each group; check which row should keep it\n"
            f"UPDATE {quote(self.table)} SET {quote(self.clear)} = NULL WHERE {self._predicate()} AND EXISTS "
            f"(SELECT 1 FROM {quote(self.table)} AS older WHERE {same} AND older.id < {quote(self.table)}.id);"
        )


@dataclass(frozen=True)
class Breaks:
    """Rows of `table` for which `rule` is false (NULL passes, as in a CHECK), which `name` would refuse.
    `columns` are the ones the rule reads (the check waits until they exist); `fix_sql` is a suggestion."""

    table: str
    name: str
    rule: str
    columns: tuple[str, ...] = ()
    fix_sql: str | None = None
    explain: str | None = None

    def find(self, catalog: Catalog) -> Finding | None:
        if not catalog.has_columns(self.table, *self.columns):
            return None
        count, sample = matching(catalog.connection, self.table, f"NOT ({self.rule})")
        if not count:
            return None
        return Finding(
            name=self.name,
            table=self.table,
            message=self.explain.format(count=count)
            if self.explain
            else f'{count} row(s) of "{self.table}" break "{self.name}" (CHECK ({self.rule}))',
            count=count,
            sample_ids=sample,
            fix_sql=self.fix_sql,
        )


@dataclass(frozen=True)
class ValuesIn:
    """`table.column` values outside the StrEnum the models compare against (and generate the CHECK from)."""

    table: str
    column: str
    allowed: type[StrEnum]

    @property
    def name(self) -> str:
        return f"{self.table}_{self.column}_check"

    def find(self, catalog: Catalog) -> Finding | None:
        if not catalog.has_columns(self.table, self.column):
            return None
        values = [member.value for member in self.allowed]
        column = quote(self.column)
        predicate = f"{column} NOT IN ({', '.join(literal(value) for value in values)})"
        count, sample = matching(catalog.connection, self.table, predicate)
        if not count:
            return None
        found = catalog.connection.execute(
            text(
                f"SELECT {column}, count(*) FROM {quote(self.table)} WHERE {predicate} GROUP BY 1 ORDER BY 1"
            )
        ).all()
        listed = ", ".join(f"{literal(value)} ×{times}" for value, times in found)
        choices = ", ".join(literal(value) for value in values)
        fixes = []
        for value, _times in found:
            # A value that differs only in case or spaces has an obvious target; anything else is for a person.
            obvious = value.strip().lower()
            new = literal(obvious) if obvious in values else f"<one of {choices}>"
            fixes.append(
                f"UPDATE {quote(self.table)} SET {column} = {new} WHERE {column} = {literal(value)};"
            )
        return Finding(
            name=self.name,
            table=self.table,
            message=(
                f'{count} row(s) of "{self.table}" have a "{self.column}" outside {self.allowed.__name__} '
                f"({choices}): {listed}"
            ),
            count=count,
            sample_ids=sample,
            fix_sql="\n".join(fixes),
            details={"values": {value: times for value, times in found}},
        )


def fits_in_integer(table: str, columns: tuple[str, ...]) -> Breaks:
    """Amounts a downgrade to INTEGER could not store (NOT BETWEEN, not abs(): abs(INT_MIN) overflows)."""
    low, high = -(2**31), 2**31 - 1
    shown = ", ".join(f'"{column}"' for column in columns)
    return Breaks(
        table=table,
        name=f"{table} INTEGER money",
        rule=" AND ".join(f"{quote(column)} BETWEEN {low} AND {high}" for column in columns),
        columns=columns,
        explain=f'{{count}} row(s) of "{table}" hold amounts ({shown}) outside {low}..{high} cents, '
        "which INTEGER cannot store",
        fix_sql=None,
    )


DataCheck = DanglingReference | Duplicates | Breaks | ValuesIn
