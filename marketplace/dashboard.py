"""The seller dashboard: a provider's own listings."""

from flask import redirect, url_for

from marketplace import bp


@bp.get("/dashboard/listings")
def dashboard_listings():
    return redirect(url_for("marketplace.login"))
