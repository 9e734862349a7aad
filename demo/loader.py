"""Reads demo/data/*.toml into typed records (a misspelt or missing field is a TypeError at load time) and inserts
rows."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from importlib.resources import files
from typing import Any, TypeVar

from app.extensions import db

Record = TypeVar("Record")
Row = TypeVar("Row")


def read(name: str) -> dict[str, Any]:
    return tomllib.loads((files("demo") / "data" / name).read_text(encoding="utf-8"))


def records(make: Callable[..., Record], rows: list[dict[str, Any]]) -> list[Record]:
    return [make(**row) for row in rows]


def insert(row: Row) -> Row:
    """Adds the row and flushes, so it has its id for the rows that point at it."""
    db.session.add(row)
    db.session.flush()
    return row
