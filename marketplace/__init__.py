"""Public marketplace: listings, accounts, the seller dashboard and buyer–seller messaging."""

from flask import Blueprint

bp = Blueprint("marketplace", __name__)

from marketplace import accounts, dashboard, listings, messages  # noqa: E402,F401
