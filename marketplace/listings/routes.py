"""A listing's public page, and the seller dashboard where a provider writes, publishes and unpublishes them."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from app.extensions import db
from app.forms import render_form
from app.public_pages import public_page
from app.replicas import public_read
from app.storage import delete_quietly, staged_writes
from app.uploads import MAX_FILE_BYTES, MB, UploadRefused, accepts_uploads, read_uploads
from marketplace import bp
from marketplace.access import (
    provider_required,
    signed_in_marketplace_user,
    signed_in_marketplace_user_or_none,
)
from marketplace.listings.forms import ListingForm, PositionsInvalid, parse_move, parse_positions
from marketplace.listings.photos import (
    MAX_PHOTOS,
    add_photos,
    arranged,
    items_of,
    links_of,
    moved,
    photos_of,
    prepare_photos,
    store_items,
    unreferenced,
)
from marketplace.listings.queries import (
    listing_for_owner_or_404,
    lock_listing_for_owner_or_404,
    other_public_listings,
    owned_listing_counts,
    owned_listings,
    public_listing_or_404,
)
from marketplace.messaging.sending import new_conversation_notice
from marketplace.providers.queries import provider_rating
from models import ListingStatus, MarketplaceUser, ServiceListing
from models.types import utcnow


def paragraphs(text: str | None) -> list[str]:
    blocks = (text or "").replace("\r\n", "\n").split("\n\n")
    return [block.strip() for block in blocks if block.strip()]


@bp.get("/listings/<int:listing_id>")
@public_page
@public_read
def listing(listing_id: int) -> str:
    item = public_listing_or_404(listing_id)
    viewer = signed_in_marketplace_user_or_none()
    return render_template(
        "marketplace/listings/listing.html",
        listing=item,
        provider=item.provider_user,
        rating=provider_rating(item.provider_user_id),
        others=other_public_listings(item),
        photos=photos_of(item),
        links=links_of(item),
        paragraphs=paragraphs(item.description),
        conversation_notice=(
            new_conversation_notice(item.id, viewer)
            if viewer is not None and viewer.id != item.provider_user_id
            else None
        ),
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
        flash("Your listing is saved as a draft. Add photos, then publish it when it is ready.", "success")
        return redirect(url_for("marketplace.listing_photos", listing_id=listing.id))
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


# --- photos --------------------------------------------------------------------------------------------------

PHOTOS_TEMPLATE = "marketplace/listings/photos.html"
PHOTOS_TOO_LARGE = (
    f"That upload is too large: choose at most {MAX_PHOTOS} photos, each at most {MAX_FILE_BYTES // MB} MB."
)


def _photos_page(listing: ServiceListing, status: int = 200, **errors: str) -> tuple[str, int]:
    return render_template(
        PHOTOS_TEMPLATE, listing=listing, items=items_of(listing), max_photos=MAX_PHOTOS, **errors
    ), status


@bp.get("/dashboard/listings/<int:listing_id>/photos")
@provider_required
def listing_photos(listing_id: int) -> tuple[str, int]:
    return _photos_page(listing_for_owner_or_404(listing_id, signed_in_marketplace_user()))


@bp.post("/dashboard/listings/<int:listing_id>/photos")
@accepts_uploads(MAX_PHOTOS, PHOTOS_TOO_LARGE)
@provider_required
def upload_photos(listing_id: int) -> tuple[str, int] | BaseResponse:
    """Check and re-encode every chosen photo first; only then lock the listing, write the files and commit.
    A refusal at any step saves nothing and leaves no file behind."""
    user = signed_in_marketplace_user()
    listing = listing_for_owner_or_404(listing_id, user)
    try:
        uploads = read_uploads(
            request.files.getlist("photos"),
            max_files=MAX_PHOTOS,
            already=len(items_of(listing)),
            noun="photos",
        )
        if not uploads:
            raise UploadRefused("Choose one or more photos to upload.")
        prepared = prepare_photos(uploads, listing.id)
        with staged_writes() as files:
            add_photos(lock_listing_for_owner_or_404(listing_id, user), prepared, files)
            db.session.commit()
            files.keep()
    except UploadRefused as refused:
        db.session.rollback()
        return _photos_page(listing, 422, upload_error=str(refused))
    flash(f"{len(prepared)} {'photo' if len(prepared) == 1 else 'photos'} added.", "success")
    return redirect(url_for("marketplace.listing_photos", listing_id=listing_id))


@bp.post("/dashboard/listings/<int:listing_id>/photos/arrange")
@provider_required
def arrange_photos(listing_id: int) -> tuple[str, int] | BaseResponse:
    """Save the order (position numbers, or one "Move up"/"Move down") and remove the ticked photos."""
    user = signed_in_marketplace_user()
    listing = lock_listing_for_owner_or_404(listing_id, user)
    items = items_of(listing)
    move = parse_move(request.form.get("move"))
    if move is not None:
        new_items = moved(items, *move)
    else:
        try:
            positions = parse_positions(request.form, [item.id for item in items])
        except PositionsInvalid as invalid:
            db.session.rollback()
            return _photos_page(listing, 422, arrange_error=str(invalid))
        new_items = arranged(items, positions, set(request.form.getlist("remove")))
    store_items(listing, new_items)
    db.session.commit()
    _delete_files_no_longer_used(listing_id, user, unreferenced(items, new_items))
    flash("Your photos are saved." if move is None else "Photo moved.", "success")
    return redirect(url_for("marketplace.listing_photos", listing_id=listing_id))


def _delete_files_no_longer_used(listing_id: int, user: MarketplaceUser, paths: list[str]) -> None:
    """After the commit that removed photos: delete their files, unless the listing uses them again by now (the
    same photo uploaded anew meanwhile). The listing's lock makes that check and the deletion one step."""
    if not paths:
        return
    listing = lock_listing_for_owner_or_404(listing_id, user)
    in_use = {path for item in items_of(listing) for path in item.paths}
    delete_quietly([path for path in paths if path not in in_use])
    db.session.commit()
