"""Public listing browser and listing pages."""

from __future__ import annotations

from flask import render_template, request
from sqlalchemy import select

from app.extensions import db
from app.templating import render_page_or_block
from marketplace import bp
from marketplace.browse_filters import SORTS, parse_filters
from marketplace.catalog import CATEGORIES, PRICE_TYPES, US_STATES, category_label, price_label, state_label
from marketplace.listing_forms import is_web_url
from marketplace.search import browse
from models import MarketplaceUser, ServiceListing

OTHER_LISTINGS_SHOWN = 6

for helper in (category_label, state_label, price_label):
    bp.add_app_template_global(helper)


def publicly_visible():
    """Listings anyone may see: active, from an active provider. Used by every public query."""
    return (ServiceListing.status == "active") & (
        MarketplaceUser.status.is_(None) | (MarketplaceUser.status == "active")
    )


def public_listing_or_404(listing_id: int) -> ServiceListing:
    return db.first_or_404(
        select(ServiceListing)
        .join(MarketplaceUser, ServiceListing.provider_user_id == MarketplaceUser.id)
        .where(ServiceListing.id == listing_id, publicly_visible())
    )


def paragraphs(text: str | None) -> list[str]:
    blocks = (text or "").replace("\r\n", "\n").split("\n\n")
    return [block.strip() for block in blocks if block.strip()]


@bp.get("/listings/<int:listing_id>")
def listing(listing_id: int) -> str:
    item = public_listing_or_404(listing_id)
    provider = item.provider_user
    others = db.session.scalars(
        select(ServiceListing)
        .join(MarketplaceUser, ServiceListing.provider_user_id == MarketplaceUser.id)
        .where(
            ServiceListing.provider_user_id == provider.id, ServiceListing.id != item.id, publicly_visible()
        )
        .order_by(ServiceListing.published_at.desc().nulls_last(), ServiceListing.id.desc())
        .limit(OTHER_LISTINGS_SHOWN)
    ).all()
    images = [url for url in (item.images or []) if isinstance(url, str) and is_web_url(url)]
    return render_template(
        "marketplace/listing.html",
        listing=item,
        provider=provider,
        others=others,
        images=images,
        paragraphs=paragraphs(item.description),
    )


def _browse_page() -> str:
    filters = parse_filters(request.args)
    page = browse(filters)
    return render_page_or_block(
        "marketplace/browse.html",
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
