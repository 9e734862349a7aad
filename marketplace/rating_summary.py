"""A provider's rating as one line of HTML: a star, the average to one decimal, and the count of reviews.

Python, not a Jinja macro: the browser shows it on up to twenty cards a page, rendered by
marketplace.browse.cards, and the provider and listing pages show the same line through the template global.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from models import Rating


def rating_summary(rating: Rating, href: str | None = None) -> Markup:
    """Nothing without reviews. `href` makes the count a link (to the reviews on the provider's page)."""
    if not rating.count:
        return Markup("")
    count = f"({rating.count} {'review' if rating.count == 1 else 'reviews'})"
    count_html = (
        f'<a class="rating-count" href="{escape(href)}">{count}</a>'
        if href
        else f'<span class="rating-count">{count}</span>'
    )
    return Markup(  # noqa: S704 - numbers, and count_html's escaped link
        '<span class="rating"><span class="stars" aria-hidden="true">★</span> '
        f'<span class="rating-average"><span class="visually-hidden">Rated </span>{rating.average:.1f}'
        f'<span class="visually-hidden"> out of 5</span></span> {count_html}</span>'
    )
