"""Upgrade pre-flight: what a pending revision would refuse or lock, found before anything changes.

A revision declares its checks next to its code, in `PREFLIGHT` (for its upgrade) and `PREFLIGHT_DOWNGRADE`:
data checks (`DanglingReference`, `Duplicates`, `Breaks`, `ValuesIn`, `fits_in_integer`) for every CHECK, UNIQUE,
NOT NULL or FOREIGN KEY it adds on existing data, and lock steps (`Lock`, `Online`) for every existing table it
rewrites or locks, in the order it takes them. `flask db preflight` and `flask db upgrade` run them
(app/preflight/cli.py); docs/schema-notes.md says what each revision does.
"""

from app.preflight.checks import (
    Breaks,
    Catalog,
    DanglingReference,
    Duplicates,
    ValuesIn,
    fits_in_integer,
    matching,
)
from app.preflight.locks import Lock, Online, Recipe

__all__ = [
    "Breaks",
    "Catalog",
    "DanglingReference",
    "Duplicates",
    "Lock",
    "Online",
    "Recipe",
    "ValuesIn",
    "fits_in_integer",
    "matching",
]
