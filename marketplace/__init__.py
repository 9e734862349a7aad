"""Public marketplace: one blueprint, one package per feature (browse, listings, messaging, accounts, invoices,
sales, providers, reviews).

Each feature package has routes.py, forms.py and queries.py. The hooks the blueprint installs on the app are
registered here, in one visible place; the listing-count cache's session listeners are installed by create_app.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint
from flask.blueprints import BlueprintSetupState

from marketplace.access import signed_in_marketplace_user_or_none
from marketplace.browse import facet_cache
from marketplace.browse.cards import result_cards
from marketplace.browse.search_form import search_form
from marketplace.catalog import category_label, price_label, state_label
from marketplace.invoices.queries import open_invoice_count
from marketplace.messaging.queries import unread_total
from marketplace.messaging.text import message_html
from marketplace.rating_summary import rating_summary

bp = Blueprint("marketplace", __name__)

for helper in (category_label, state_label, price_label, rating_summary, result_cards, search_form):
    bp.add_app_template_global(helper)
bp.add_app_template_filter(message_html, "message_html")


@bp.record_once
def _install_counts_cache(state: BlueprintSetupState) -> None:
    facet_cache.init_app(state.app)


def _count_for_signed_in_user(count: Callable[[int], int]) -> Callable[[], int]:
    # A function, so the count query runs only where the nav actually shows it.
    def total() -> int:
        user = signed_in_marketplace_user_or_none()
        return count(user.id) if user else 0

    return total


@bp.app_context_processor
def _nav_badges() -> dict[str, Any]:
    return {
        "unread_messages_total": _count_for_signed_in_user(unread_total),
        "open_invoices_total": _count_for_signed_in_user(open_invoice_count),
    }


from marketplace.accounts import routes as _accounts  # noqa: E402,F401
from marketplace.browse import routes as _browse  # noqa: E402,F401
from marketplace.invoices import routes as _invoices  # noqa: E402,F401
from marketplace.listings import routes as _listings  # noqa: E402,F401
from marketplace.messaging import routes as _messaging  # noqa: E402,F401
from marketplace.pay import routes as _pay  # noqa: E402,F401
from marketplace.providers import routes as _providers  # noqa: E402,F401
from marketplace.reviews import routes as _reviews  # noqa: E402,F401
from marketplace.sales import paid_online as _paid_online  # noqa: E402,F401 - registers its payments hook
from marketplace.sales import routes as _sales  # noqa: E402,F401
