"""The browser's category tabs: "All (1,234)", then each category that has listings, each a link to the same
filters in that category.

Built and written here, not in the template: eleven tabs a page, each a link, a count and a lookup, cost the
template more than the tabs themselves (each call from Jinja checks its callable for context arguments, and each
value is escaped into a new Markup).
"""

from __future__ import annotations

from typing import NamedTuple

from markupsafe import Markup

from app.templating import escape_text as escape
from app.templating import page_url, query_links
from marketplace.browse.forms import BrowseFilters
from marketplace.browse.queries import BrowsePage
from marketplace.catalog import CATEGORIES

_CURRENT = ' aria-current="page"'


class CategoryTab(NamedTuple):
    href: str
    label: str
    count: str  # "1,234", or "about 1,234" when the counts are estimates
    current: bool


def category_tabs(page: BrowsePage, filters: BrowseFilters) -> list[CategoryTab]:
    counts = page.category_counts
    if not counts:
        return []
    # Any value keeps "category" in its place among the filters (query_links puts each tab's own there), so a
    # tab's link lists its parameters in the form's order whether or not a category is chosen now.
    link = query_links(page_url("marketplace.listings"), filters.query_args(category="*"), "category")
    about = "about " if page.estimated else ""
    tabs = [CategoryTab(link(""), "All", f"{about}{sum(counts.values()):,}", not filters.category)]
    tabs.extend(
        CategoryTab(link(key), label, f"{about}{counts[key]:,}", filters.category == key)
        for key, label in CATEGORIES.items()
        if counts.get(key)
    )
    return tabs


def tab_list(tabs: list[CategoryTab]) -> Markup:
    """The tabs as the page's list (nothing when there are none), each value escaped once."""
    if not tabs:
        return Markup("")
    items = "".join(
        f'<li><a href="{escape(tab.href)}"{_CURRENT if tab.current else ""}>'
        f"{escape(tab.label)} ({escape(tab.count)})</a></li>\n"
        for tab in tabs
    )
    return Markup(f'<ul class="tabs facets" aria-label="Categories">\n{items}</ul>\n')  # noqa: S704 - escaped
