"""The seller dashboard: a provider's own listings, by status."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from werkzeug.wrappers import Response as BaseResponse

from app.extensions import db
from marketplace import bp
from marketplace.access import current_marketplace_user, provider_required
from marketplace.listing_forms import ListingForm
from models import LISTING_STATUSES, MarketplaceUser, ServiceListing
from models.types import utcnow


@bp.get("/dashboard/listings")
@provider_required
def dashboard_listings() -> str:
    user = current_marketplace_user()
    status = request.args.get("status")
    if status not in LISTING_STATUSES:
        status = None
    counts = dict(
        db.session.execute(
            select(ServiceListing.status, func.count())
            .where(ServiceListing.provider_user_id == user.id)
            .group_by(ServiceListing.status)
        ).all()
    )
    query = select(ServiceListing).where(ServiceListing.provider_user_id == user.id)
    if status:
        query = query.where(ServiceListing.status == status)
    listings = db.session.scalars(query.order_by(ServiceListing.updated_at.desc(), ServiceListing.id.desc()))
    return render_template(
        "marketplace/dashboard/listings.html",
        listings=list(listings),
        counts=counts,
        status=status,
        statuses=LISTING_STATUSES,
    )


def listing_for_owner_or_404(listing_id: int, user: MarketplaceUser) -> ServiceListing:
    """The seller's own listing; anyone else's (or a missing one) is a 404."""
    return db.first_or_404(
        select(ServiceListing).where(
            ServiceListing.id == listing_id, ServiceListing.provider_user_id == user.id
        )
    )


def _render_form(form: ListingForm, listing: ServiceListing | None, status: int = 200) -> tuple[str, int]:
    return render_template("marketplace/dashboard/listing_form.html", form=form, listing=listing), status


@bp.route("/dashboard/listings/new", methods=["GET", "POST"])
@provider_required
def new_listing() -> tuple[str, int] | BaseResponse:
    user = current_marketplace_user()
    form = ListingForm()
    if form.validate_on_submit():
        listing = ServiceListing(provider_user_id=user.id, status="draft")
        form.apply_to(listing)
        db.session.add(listing)
        db.session.commit()
        flash("Your listing is saved as a draft. Publish it when it is ready.", "success")
        return redirect(url_for("marketplace.dashboard_listings"))
    return _render_form(form, None, 422 if form.is_submitted() else 200)


@bp.route("/dashboard/listings/<int:listing_id>/edit", methods=["GET", "POST"])
@provider_required
def edit_listing(listing_id: int) -> tuple[str, int] | BaseResponse:
    listing = listing_for_owner_or_404(listing_id, current_marketplace_user())
    form = ListingForm()
    if form.validate_on_submit():
        form.apply_to(listing)
        db.session.commit()
        flash("Your changes are saved.", "success")
        return redirect(url_for("marketplace.dashboard_listings"))
    if not form.is_submitted():
        form.fill_from(listing)
    return _render_form(form, listing, 422 if form.is_submitted() else 200)


@bp.post("/dashboard/listings/<int:listing_id>/publish")
@provider_required
def publish_listing(listing_id: int) -> BaseResponse:
    user = current_marketplace_user()
    listing = listing_for_owner_or_404(listing_id, user)
    if not user.email_verified:
        flash("Confirm your e-mail address before you publish a listing.", "error")
    elif listing.status == "suspended":
        flash("This listing is suspended. Only an administrator can lift a suspension.", "error")
    elif listing.status in ("draft", "inactive"):
        listing.status = "active"
        listing.published_at = utcnow()
        db.session.commit()
        flash(f"“{listing.title}” is published.", "success")
    return redirect(url_for("marketplace.dashboard_listings"))


@bp.post("/dashboard/listings/<int:listing_id>/unpublish")
@provider_required
def unpublish_listing(listing_id: int) -> BaseResponse:
    listing = listing_for_owner_or_404(listing_id, current_marketplace_user())
    if listing.status == "active":
        listing.status = "inactive"
        db.session.commit()
        flash(f"“{listing.title}” is no longer public.", "success")
    return redirect(url_for("marketplace.dashboard_listings"))
