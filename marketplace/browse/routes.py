"""The public listing browser: `/` and `/listings`, the full page or, for htmx, just its results block."""

from __future__ import annotations

from flask import request

from app.templating import render_page_or_block
from marketplace import bp
from marketplace.browse.forms import SORTS, parse_filters
from marketplace.browse.queries import browse
from marketplace.catalog import CATEGORIES, PRICE_TYPES, US_STATES


def _browse_page() -> str:
    filters = parse_filters(request.args)
    page = browse(filters)
    return render_page_or_block(
        "marketplace/browse/browse.html",
        "results",
        filters=filters,
        page=page,
        categories=CATEGORIES,
        states=US_STATES,
        price_types=PRICE_TYPES,
        sorts=SORTS,
    )


@bp.get("/")
def index() -> str:
    return _browse_page()


@bp.get("/listings")
def listings() -> str:
    return _browse_page()
