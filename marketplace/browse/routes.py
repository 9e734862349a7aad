"""The public listing browser: `/` and `/listings`, the full page or, for htmx, just its results block."""

from __future__ import annotations

from flask import request

from app.forms import INVALID_FORM_STATUS
from app.public_pages import public_page
from app.replicas import public_read
from app.templating import render_page_or_block
from marketplace import bp
from marketplace.browse.forms import parse_filters
from marketplace.browse.queries import BrowsePage, browse
from marketplace.browse.tabs import category_tabs, tab_list


def _browse_page() -> tuple[str, int]:
    filters = parse_filters(request.args)
    # A location that cannot be used answers with its message, not with listings from somewhere else.
    refused = bool(filters.location.errors)
    page = BrowsePage.nothing() if refused else browse(filters)
    html = render_page_or_block(
        "marketplace/browse/browse.html",
        "results",
        filters=filters,
        page=page,
        tabs=tab_list(category_tabs(page, filters)),
    )
    return html, INVALID_FORM_STATUS if refused else 200


@bp.get("/")
@public_page
@public_read
def index() -> tuple[str, int]:
    return _browse_page()


@bp.get("/listings")
@public_page
@public_read
def listings() -> tuple[str, int]:
    return _browse_page()
