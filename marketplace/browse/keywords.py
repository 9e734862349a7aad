"""A visitor's keywords as a PostgreSQL tsquery: websearch syntax, with the last word matched as a prefix while
it is still being typed. The parts (the websearch text and the prefix query) are kept apart so the browser's
statement can be built once per keyword form and take the text as bound values (marketplace.browse.shapes)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func

TEXT_CONFIG = "english"
WORD_RE = re.compile(r"[^\W_]+")


def _websearch(text: str) -> ColumnElement[Any]:
    return func.websearch_to_tsquery(TEXT_CONFIG, text)


@dataclass(frozen=True)
class TsqueryParts:
    """A keyword's tsquery, as websearch text (`head`) and a prefix query of the last word (`prefix`)."""

    kind: str  # "web": head alone; "prefix": prefix alone; "and": head && prefix; "or": head || prefix
    head: str | None
    prefix: str | None


def tsquery_parts(q: str) -> TsqueryParts | None:
    """websearch_to_tsquery syntax ("phrases", or, -exclude), with the last word matched as a prefix while
    the visitor is still typing it. The prefix part is built only from letters and digits, so no input can
    make to_tsquery raise."""
    q = q.strip()
    if not q:
        return None
    head, _, last = q.rpartition(" ")
    if last.startswith("-") or '"' in last or last.lower() == "or" or q.count('"') % 2:
        return TsqueryParts("web", q, None)
    lexemes = WORD_RE.findall(last.lower())
    if not lexemes:
        return TsqueryParts("web", q, None)
    prefix = " & ".join(f"{lexeme}:*" for lexeme in lexemes)
    head = head.strip()
    if not head:
        return TsqueryParts("prefix", None, prefix)
    if head.lower() == "or" or head.lower().endswith(" or"):
        earlier = head[:-2].strip()
        return TsqueryParts("or", earlier, prefix) if earlier else TsqueryParts("prefix", None, prefix)
    return TsqueryParts("and", head, prefix)


def tsquery_expression(parts: TsqueryParts) -> ColumnElement[Any]:
    if parts.kind == "web":
        return _websearch(parts.head or "")
    prefix = func.to_tsquery(TEXT_CONFIG, parts.prefix)
    if parts.kind == "prefix":
        return prefix
    return _websearch(parts.head or "").op("||" if parts.kind == "or" else "&&")(prefix)


def build_tsquery(q: str) -> ColumnElement[Any] | None:
    parts = tsquery_parts(q)
    return tsquery_expression(parts) if parts is not None else None
