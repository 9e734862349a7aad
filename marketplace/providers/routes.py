"""`/providers/<id>`: a provider's public page. Suspended and banned providers, and plain buyers, are a 404."""

from __future__ import annotations

from flask import render_template, request

from app.extensions import db
from app.public_pages import public_page
from marketplace import bp
from marketplace.access import signed_in_marketplace_user_or_none
from marketplace.messaging.queries import valid_id
from marketplace.providers.queries import (
    PROVIDER_LISTINGS_SHOWN,
    REPLY_WITHIN,
    RESPONSE_WINDOW,
    provider_listings,
    public_provider_or_404,
)
from marketplace.reviews.queries import provider_reviews_page


@bp.get("/providers/<int:provider_id>")
@public_page
def provider(provider_id: int) -> str:
    viewer = signed_in_marketplace_user_or_none()
    viewer_id = viewer.id if viewer else None
    profile = public_provider_or_404(provider_id)
    listings, more_listings = provider_listings(profile.id)
    before = valid_id(request.args.get("before", type=int))
    reviews = provider_reviews_page(profile.id, viewer_id, before)
    page = render_template(
        "marketplace/providers/provider.html",
        provider=profile,
        listings=listings,
        more_listings=more_listings,
        listings_shown=PROVIDER_LISTINGS_SHOWN,
        reviews=reviews,
        browsing_older=before is not None,
        viewer_id=viewer_id,
        window_days=RESPONSE_WINDOW.days,
        reply_hours=int(REPLY_WITHIN.total_seconds() // 3600),
    )
    if profile.refreshed:
        # Keep the reply figures recomputed just now (nothing else was written). Last, so that nothing the page
        # reads is expired by the commit and loaded again.
        db.session.commit()
    return page
