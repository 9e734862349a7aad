"""Writing a review of a purchase, the provider's reply, and reporting a review. Each is a page with a form that
works without JavaScript: shown by GET, sent by POST; an invalid form comes back with its messages (422), a refusal
is a page saying why (403, 404, 409 or 429), and in every such case nothing is saved."""

from __future__ import annotations

from flask import flash, redirect, url_for
from werkzeug.wrappers import Response as BaseResponse

from app.errors import render_error
from app.extensions import db
from app.forms import render_form
from marketplace import bp
from marketplace.access import marketplace_login_required, signed_in_marketplace_user
from marketplace.reviews.forms import ReplyForm, ReportForm, ReviewForm
from marketplace.reviews.queries import public_reviewer_name
from marketplace.reviews.writing import (
    ReviewRefused,
    post_reply,
    post_review,
    purchase_to_review,
    report_review,
    review_to_reply,
    review_to_report,
)
from models import MarketplaceUser, Review

REVIEW_FORM_TEMPLATE = "marketplace/reviews/write_review.html"
REPLY_FORM_TEMPLATE = "marketplace/reviews/reply.html"
REPORT_FORM_TEMPLATE = "marketplace/reviews/report.html"


def _refused(refused: ReviewRefused) -> tuple[str, int]:
    db.session.rollback()
    return render_error(refused.status, refused.reason)


def _on_provider_page(review: Review) -> BaseResponse:
    return redirect(
        url_for("marketplace.provider", provider_id=review.provider_user_id, _anchor=f"review-{review.id}"),
        303,
    )


def _review_context(review: Review) -> dict[str, object]:
    reviewer = db.session.get(MarketplaceUser, review.reviewer_user_id)
    return {
        "review": review,
        "reviewer_name": public_reviewer_name(reviewer.first_name, reviewer.last_name)
        if reviewer
        else "A buyer",
    }


@bp.route("/purchases/<int:sale_id>/review", methods=["GET", "POST"])
@marketplace_login_required
def write_review(sale_id: int) -> BaseResponse | tuple[str, int]:
    me = signed_in_marketplace_user()
    try:
        purchase = purchase_to_review(sale_id, me)
    except ReviewRefused as refused:
        return _refused(refused)
    form = ReviewForm()
    if not form.validate_on_submit():
        return render_form(REVIEW_FORM_TEMPLATE, form, purchase=purchase)
    try:
        review = post_review(me, sale_id, form.details())
    except ReviewRefused as refused:
        return _refused(refused)
    db.session.commit()
    flash("Thank you: your review is published.", "success")
    return _on_provider_page(review)


@bp.route("/reviews/<int:review_id>/reply", methods=["GET", "POST"])
@marketplace_login_required
def reply_to_review(review_id: int) -> BaseResponse | tuple[str, int]:
    me = signed_in_marketplace_user()
    try:
        review = review_to_reply(review_id, me)
    except ReviewRefused as refused:
        return _refused(refused)
    form = ReplyForm()
    if not form.validate_on_submit():
        return render_form(REPLY_FORM_TEMPLATE, form, **_review_context(review))
    try:
        review = post_reply(me, review_id, form.text.data)
    except ReviewRefused as refused:
        return _refused(refused)
    db.session.commit()
    flash("Your reply is published under the review.", "success")
    return _on_provider_page(review)


@bp.route("/reviews/<int:review_id>/report", methods=["GET", "POST"])
@marketplace_login_required
def report(review_id: int) -> BaseResponse | tuple[str, int]:
    me = signed_in_marketplace_user()
    try:
        review = review_to_report(review_id, me)
    except ReviewRefused as refused:
        return _refused(refused)
    form = ReportForm()
    if not form.validate_on_submit():
        return render_form(REPORT_FORM_TEMPLATE, form, **_review_context(review))
    try:
        report_review(me, review_id, form.reason.data)
    except ReviewRefused as refused:
        return _refused(refused)
    db.session.commit()
    flash("Thank you. An administrator will look at this review.", "success")
    return _on_provider_page(review)
