"""Jinja filters and globals shared by both faces, and the helper that renders a page or just its htmx block."""

from __future__ import annotations

import html
from collections.abc import Callable, Hashable, Mapping
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any, TypeVar
from urllib.parse import quote_plus, urlencode

from flask import Flask, current_app, request, url_for
from jinja2_fragments.flask import render_block
from markupsafe import Markup, escape

from app.extensions import htmx
from app.local_time import format_local_date, format_local_time
from app.money import format_money


def escape_text(text: str) -> str:
    """html.escape(text) for a plain string written into HTML by Python (the browser's cards and tabs): most
    values hold none of the five characters, and looking for them costs a third of replacing each in turn."""
    if "&" in text or "<" in text or ">" in text or '"' in text or "'" in text:
        return html.escape(text)
    return text


def render_page_or_block(template: str, block: str, **context: Any) -> str:
    """The full page for a normal request; only `block` of the same template for an htmx request."""
    # A history-restore request (Back after a cache miss) replaces the whole body, so it needs the full page.
    if htmx and not htmx.boosted and not htmx.history_restore_request:
        return render_block(template, block, **context)
    from flask import render_template

    return render_template(template, **context)


def _format_date(value: date | datetime | None, pattern: str = "%b %-d, %Y") -> str:
    return value.strftime(pattern) if value else ""


DURATION_UNITS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


def format_duration(value: timedelta) -> str:
    """A timedelta in words ("3 days", "1 hour", "15 minutes"), in the largest unit that says it exactly:
    90 minutes stays "90 minutes", so an e-mail never rounds the setting it reports."""
    seconds = int(value.total_seconds())
    for unit, size in DURATION_UNITS:
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"


# A number no id reaches, standing in for the id while the link is built.
_ID_MARK = 9_999_999_999_999


def id_links(endpoint: str, key: str, **values: Any) -> Callable[[int], str]:
    """url_for(endpoint, key=id, **values) for the many ids of one page (an inbox's 25 threads): the route is
    built once and each id put in its place, the same link url_for would give for an integer id."""
    head, _, tail = url_for(endpoint, **values, **{key: _ID_MARK}).rpartition(str(_ID_MARK))
    return lambda id_: f"{head}{int(id_)}{tail}"


# What url_for leaves unescaped in a query string (werkzeug.urls: the WHATWG's percent-encode set).
_QUERY_SAFE = "!$'()*,/:;?@"


def with_query(path: str, args: Mapping[str, str]) -> str:
    """`path` with `args` as its query string, encoded as url_for encodes them: for a page's many links to one
    route (the browser's category chips), whose path is built once."""
    return f"{path}?{urlencode(list(args.items()), safe=_QUERY_SAFE)}" if args else path


# Stands in for a value while a query string is encoded: a NUL, which no request's parameter holds
# (app/security.py refuses it), encoded as urlencode encodes it.
_VALUE_MARK = "\x00"


def query_links(path: str, args: Mapping[str, str], key: str) -> Callable[[str], str]:
    """with_query(path, {**args, key: value}) for many values of one key (the browser's category chips): the
    query string is encoded once, with `key` where `args` has it (or last), and each value is put in its place,
    encoded as urlencode encodes it. An empty value drops the key, as with_query's callers do."""
    field = f"{quote_plus(key, safe=_QUERY_SAFE)}="
    head, _, tail = with_query(path, {**args, key: _VALUE_MARK}).partition(field + quote_plus(_VALUE_MARK))
    head += field
    without = with_query(path, {name: value for name, value in args.items() if name != key})

    def link(value: str) -> str:
        if not value:
            return without
        # A word of ASCII letters, digits and "_" (every category) is its own encoding.
        encoded = (
            value if value.isascii() and value.replace("_", "a").isalnum() else quote_plus(value, _QUERY_SAFE)
        )
        return f"{head}{encoded}{tail}"

    return link


def nav_link(endpoint: str, text: str, **values: Any) -> Markup:
    """A link of the site's navigation, on every page; the link to the page being shown carries aria-current
    (the CSS marks it too). Python, not a macro: a Jinja macro call costs more than the link."""
    current = ' aria-current="page"' if request.endpoint == endpoint else ""
    href = url_for(endpoint, **values) if values else page_url(endpoint)
    return Markup(f'<a href="{escape(href)}"{current}>{escape(text)}</a>')  # noqa: S704 - escaped


STATIC_URLS = "static_urls"
KEPT_PER_STORE = 1024
T = TypeVar("T")


def page_url(endpoint: str) -> str:
    """url_for(endpoint) for a route that takes no values (the layout's links, on every page): built once per
    endpoint and mount point. url_for would also apply url_defaults functions; this app registers none (a test
    holds it to that)."""
    return _page_url(request.script_root, endpoint)


@lru_cache(maxsize=256)
def _page_url(_script_root: str, endpoint: str) -> str:
    return url_for(endpoint)


def static_url(filename: str) -> str:
    """url_for("static", filename=…), which every page asks for its stylesheets and scripts: built once per file
    and mount point (should the app be served under a prefix). Kept per app: reading the app's static path (Flask
    joins paths to find it) cost more than the lookup here."""
    return kept_per_app(
        STATIC_URLS, (request.script_root, filename), lambda: url_for("static", filename=filename)
    )


def kept_per_app(store: str, key: Hashable, build: Callable[[], T]) -> T:
    """build()'s value for `key`, made once per app and kept in the app's `store` (a page's fixed parts: static
    URLs, the browser's search form). Up to KEPT_PER_STORE values; a full store starts again, so keys that never
    repeat cannot grow it without bound."""
    kept: dict[Hashable, T] = current_app.extensions.setdefault(store, {})
    value = kept.get(key)
    if value is None:
        if len(kept) >= KEPT_PER_STORE:
            kept.clear()
        value = kept[key] = build()
    return value


def select_options(options: Mapping[str, str], selected: str | None) -> Markup:
    """A <select>'s <option>s, the one chosen marked: the same few lists (fifty states…) on every page of the
    browser, so each list is escaped and joined once per choice, not per request."""
    return _options_html(tuple(options.items()), selected)


@lru_cache(maxsize=1024)
def _options_html(options: tuple[tuple[str, str], ...], selected: str | None) -> Markup:
    option = Markup('<option value="{}"{}>{}</option>')
    return Markup("").join(
        option.format(key, Markup(" selected") if key == selected else "", text) for key, text in options
    )


def select_field(
    name: str, label: str, options: Mapping[str, str], selected: str | None, blank: str
) -> Markup:
    """A labelled <select> whose first choice, `blank`, is "any": the browser's category, state and price type."""
    return Markup(  # noqa: S704 - each value escaped, and select_options escapes its own
        f'<div class="field">\n<label for="{escape(name)}">{escape(label)}</label>\n'
        f'<select id="{escape(name)}" name="{escape(name)}">\n<option value="">{escape(blank)}</option>\n'
        f"{select_options(options, selected)}\n</select>\n</div>"
    )


def compile_templates(app: Flask) -> int:
    """Compile every template now (gunicorn.conf.py runs this in the master before it forks its workers);
    how many there are."""
    names = app.jinja_env.list_templates()
    for name in names:
        app.jinja_env.get_template(name)
    return len(names)


def init_app(app: Flask) -> None:
    app.jinja_env.globals["id_links"] = id_links
    app.jinja_env.globals["nav_link"] = nav_link
    app.jinja_env.globals["page_url"] = page_url
    app.jinja_env.globals["select_field"] = select_field
    app.jinja_env.globals["select_options"] = select_options
    app.jinja_env.globals["static_url"] = static_url
    app.jinja_env.globals["with_query"] = with_query
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["date"] = _format_date
    app.jinja_env.filters["local_time"] = format_local_time
    app.jinja_env.filters["local_date"] = format_local_date
    app.jinja_env.filters["duration"] = format_duration
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
