"""Jinja filters and globals shared by both faces, and the helper that renders a page or just its htmx block."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask
from jinja2_fragments.flask import render_block

from app.extensions import htmx
from app.money import format_money


def render_page_or_block(template: str, block: str, **context: Any) -> str:
    """The full page for a normal request; only `block` of the same template for an htmx request."""
    # A history-restore request (Back after a cache miss) replaces the whole body, so it needs the full page.
    if htmx and not htmx.boosted and not htmx.history_restore_request:
        return render_block(template, block, **context)
    from flask import render_template

    return render_template(template, **context)


def _format_date(value: date | datetime | None, pattern: str = "%b %-d, %Y") -> str:
    return value.strftime(pattern) if value else ""


def init_app(app: Flask) -> None:
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["date"] = _format_date
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
