"""The browser's search form as HTML, rendered once per set of filters and mount point and then kept
(app.templating.kept_per_app, up to 1,024 per process).

The form shows only the query's own values (what was typed, what is chosen, the location's messages), so every
visitor asking the same query gets the same form. Rendered on every page view it was about a twentieth of the
page's CPU: fifty states and the other choices, a dozen fields and their values.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from markupsafe import Markup

from app.templating import kept_per_app
from marketplace.browse.forms import SORT_CHOICES, BrowseFilters
from marketplace.catalog import CATEGORIES, PRICE_TYPES, US_STATES

RENDERED_FORMS = "browse_search_forms"


def search_form(filters: BrowseFilters) -> Markup:
    return kept_per_app(RENDERED_FORMS, (request.script_root, *_shown(filters)), lambda: _rendered(filters))


def _rendered(filters: BrowseFilters) -> Markup:
    template = current_app.jinja_env.get_template("marketplace/browse/_search_form.html")
    return Markup(  # noqa: S704 - a template's autoescaped output
        template.render(
            filters=filters,
            categories=CATEGORIES,
            states=US_STATES,
            price_types=PRICE_TYPES,
            sorts=SORT_CHOICES,
        )
    )


def _shown(filters: BrowseFilters) -> tuple[Any, ...]:
    """Everything of the filters the form shows: two queries with the same values get the same form."""
    location = filters.location
    return (
        filters.q,
        filters.category,
        filters.state,
        filters.price_type,
        filters.min_price,
        filters.max_price,
        filters.sort_param,
        location.near,
        location.within,
        location.travel,
        tuple(sorted((location.errors or {}).items())),
    )
