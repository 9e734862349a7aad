"""A listing's public page, and the seller dashboard where a provider writes, publishes and unpublishes them."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from app.extensions import db
from app.forms import render_form
from marketplace import bp
from marketplace.access import provider_required, signed_in_marketplace_user
from marketplace.listings.forms import ListingForm, is_web_url
from marketplace.listings.queries import (
    listing_for_owner_or_404,
    other_public_listings,
    owned_listing_counts,
    owned_listings,
    public_listing_or_404,
)
from marketplace.providers.queries import provider_rating
from models import ListingStatus, ServiceListing
from models.types import utcnow


def paragraphs(text: str | None) -> list[str]:
    blocks = (text or "").replace("\r\n", "\n").split("\n\n")
    return [block.strip() for block in blocks if block.strip()]


@bp.get("/listings/<int:listing_id>")
def listing(listing_id: int) -> str:
    item = public_listing_or_404(listing_id)
    images = [url for url in (item.images or []) if isinstance(url, str) and is_web_url(url)]
    return render_template(
        "marketplace/listings/listing.html",
        listing=item,
        provider=item.provider_user,
        rating=provider_rating(item.provider_user_id),
        others=other_public_listings(item),
        images=images,
        paragraphs=paragraphs(item.description),
    )


@bp.get("/dashboard/listings")
@provider_required
def dashboard_listings() -> str:
    user = signed_in_marketplace_user()
    statuses = list(ListingStatus)
    status = request.args.get("status")
    if status not in statuses:
        status = None
    return render_template(
        "marketplace/listings/dashboard.html",
        listings=owned_listings(user, status),
        counts=owned_listing_counts(user),
        status=status,
        statuses=statuses,
    )


LISTING_FORM_TEMPLATE = "marketplace/listings/listing_form.html"


@bp.route("/dashboard/listings/new", methods=["GET", "POST"])
@provider_required
def new_listing() -> tuple[str, int] | BaseResponse:
    user = signed_in_marketplace_user()
    form = ListingForm()
    if form.validate_on_submit():
        listing = ServiceListing(provider_user_id=user.id, status=ListingStatus.DRAFT)
        form.apply_to(listing)
        db.session.add(listing)
        db.session.commit()
        flash("Your listing is saved as a draft. Publish it when it is ready.", "success")
        return redirect(url_for("marketplace.dashboard_listings"))
    return render_form(LISTING_FORM_TEMPLATE, form, listing=None)


@bp.route("/dashboard/listings/<int:listing_id>/edit", methods=["GET", "POST"])
@provider_required
def edit_listing(listing_id: int) -> tuple[str, int] | BaseResponse:
    listing = listing_for_owner_or_404(listing_id, signed_in_marketplace_user())
    form = ListingForm()
    if form.validate_on_submit():
        form.apply_to(listing)
        db.session.commit()
        flash("Your changes are saved.", "success")
        return redirect(url_for("marketplace.dashboard_listings"))
    if not form.is_submitted():
        form.fill_from(listing)
    return render_form(LISTING_FORM_TEMPLATE, form, listing=listing)


@bp.post("/dashboard/listings/<int:listing_id>/publish")
@provider_required
def publish_listing(listing_id: int) -> BaseResponse:
    user = signed_in_marketplace_user()
    listing = listing_for_owner_or_404(listing_id, user)
    if not user.email_verified:
        flash("Confirm your e-mail address before you publish a listing.", "error")
    elif listing.status == ListingStatus.SUSPENDED:
        flash("This listing is suspended. Only an administrator can lift a suspension.", "error")
    elif listing.status in (ListingStatus.DRAFT, ListingStatus.INACTIVE):
        listing.status = ListingStatus.ACTIVE
        listing.published_at = utcnow()
        db.session.commit()
        flash(f"“{listing.title}” is published.", "success")
    return redirect(url_for("marketplace.dashboard_listings"))


@bp.post("/dashboard/listings/<int:listing_id>/unpublish")
@provider_required
def unpublish_listing(listing_id: int) -> BaseResponse:
    listing = listing_for_owner_or_404(listing_id, signed_in_marketplace_user())
    if listing.status == ListingStatus.ACTIVE:
        listing.status = ListingStatus.INACTIVE
        db.session.commit()
        flash(f"“{listing.title}” is no longer public.", "success")
    return redirect(url_for("marketplace.dashboard_listings"))
