"""Writing reviews: a buyer's review of a completed sale, the provider's one reply, a report, and hiding one.

Each function works in the caller's transaction and leaves the commit to it; a refusal (ReviewRefused) has
written nothing, and the caller rolls back. Races end in the database's keys, never in a second row:
- two reviews of one sale: "Review_marketplace_transaction_id_key" (UNIQUE) refuses the second;
- a review while the sale changes status: the review holds the sale's row in share mode, so the move waits;
- two replies: the review's row is locked and re-read before the reply is written;
- two reports by one person: ReviewReport's primary key, INSERT ... ON CONFLICT DO NOTHING.
Rates per user (marketplace/limits.py) are claimed with one atomic increment of the app's limiter just before a
write (app.throttling.claim), so parallel requests cannot all pass a check none of them has counted yet; and
refunded when nothing is written after all (a second review found by the unique key, a report that lost the race).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.throttling import claim, refund
from marketplace import limits
from marketplace.reviews.forms import ReviewDetails
from marketplace.reviews.queries import (
    Purchase,
    purchase_for_participant_or_none,
    reported_by,
    visible_review_or_none,
)
from models import (
    ActorKind,
    MarketplaceUser,
    ReportReason,
    Review,
    ReviewReport,
    TransactionStatus,
    record_audit,
)
from models.types import utcnow

REVIEW_TABLE = "Review"
REVIEWS_WRITTEN = "reviews-written"
REPLIES_WRITTEN = "review-replies"
REPORTS_SENT = "review-reports"

NOT_YOUR_PURCHASE = "We could not find a purchase of yours with this number."
OWN_SALE = "This is your own sale. Reviews come from the buyers you sell to."
ALREADY_REVIEWED = "You have already reviewed this purchase. Each purchase can be reviewed once."
NO_PROVIDER = "The seller's account no longer exists, so this purchase cannot be reviewed."
TOO_MANY_REVIEWS = "You have written as many reviews as allowed for today. Please try again tomorrow."
REVIEW_NOT_FOUND = "We could not find that review. It may have been removed."
NOT_THE_PROVIDER = "Only the provider who was reviewed can reply to this review."
ALREADY_REPLIED = "You have already replied to this review. A review gets one public reply."
TOO_MANY_REPLIES = "You have written as many replies as allowed for today. Please try again tomorrow."
OWN_REVIEW = "This is your own review, so you cannot report it."
ALREADY_REPORTED = "You have already reported this review. An administrator will look at it."
TOO_MANY_REPORTS = "You have reported as many reviews as allowed for today. Please try again tomorrow."


def not_completed(status: str) -> str:
    return f"You can review a purchase once the seller marks it completed. This one is {status}."


class ReviewRefused(Exception):
    """Nothing was written. `status` is the HTTP answer (403, 404, 409 or 429)."""

    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@contextmanager
def _allowance(
    setting: str, default: str, namespace: str, user_id: int, refusal: str, *, enabled: bool = True
) -> Iterator[None]:
    """Claim one of the user's allowance (ReviewRefused 429 when none is left) for the write in the block, and give
    it back if the block raises (nothing was written). enabled=False (the demo data) claims nothing."""
    rate, key = current_app.config.get(setting, default), str(user_id)
    if enabled and not claim(rate, namespace, key):
        raise ReviewRefused(refusal, 429)
    try:
        yield
    except BaseException:
        if enabled:
            refund(rate, namespace, key)
        raise


def _audit(actor_kind: str, actor_id: int | None, action: str, review: Review, **change) -> None:
    record_audit(
        db.session,
        actor_kind=actor_kind,
        actor_id=actor_id,
        action=action,
        subject_table=REVIEW_TABLE,
        subject_id=review.id,
        tenant_id=review.provider_tenant_id,
        **change,
    )


# --- a review ----------------------------------------------------------------------------------------------------


def purchase_to_review(sale_id: int, buyer: MarketplaceUser, *, lock: bool = False) -> Purchase:
    """The sale this user may review now; ReviewRefused saying why not otherwise."""
    purchase = purchase_for_participant_or_none(sale_id, buyer.id, lock=lock)
    if purchase is None:
        raise ReviewRefused(NOT_YOUR_PURCHASE, 404)
    if purchase.client_user_id != buyer.id:  # then this user is the sale's provider
        raise ReviewRefused(OWN_SALE, 403)
    if purchase.review_id is not None:
        raise ReviewRefused(ALREADY_REVIEWED, 409)
    if purchase.status != TransactionStatus.COMPLETED:
        raise ReviewRefused(not_completed(purchase.status), 409)
    if purchase.provider_user_id is None:
        raise ReviewRefused(NO_PROVIDER, 409)
    return purchase


def post_review(
    buyer: MarketplaceUser, sale_id: int, details: ReviewDetails, *, throttle: bool = True
) -> Review:
    """The buyer's review of their completed sale. The provider, the breeder and the listing are the sale's (the
    database's review_from_sale trigger copies them again, so no writer can name another)."""
    purchase = purchase_to_review(sale_id, buyer, lock=True)
    assert purchase.provider_user_id is not None
    review = Review(
        marketplace_transaction_id=purchase.sale_id,
        provider_tenant_id=purchase.provider_tenant_id,
        provider_user_id=purchase.provider_user_id,
        reviewer_user_id=buyer.id,
        rating=details.rating,
        body=details.text,
    )
    with _allowance(
        "REVIEW_RATE_LIMIT",
        limits.REVIEW_RATE_LIMIT,
        REVIEWS_WRITTEN,
        buyer.id,
        TOO_MANY_REVIEWS,
        enabled=throttle,
    ):
        db.session.add(review)
        try:
            db.session.flush()
        except IntegrityError as error:  # the caller rolls the session back, on ReviewRefused
            if "Review_marketplace_transaction_id_key" in str(error.orig):
                raise ReviewRefused(ALREADY_REVIEWED, 409) from error
            raise
    _audit(
        ActorKind.MARKETPLACE_USER,
        buyer.id,
        "review.created",
        review,
        after={
            "marketplace_transaction_id": purchase.sale_id,
            "provider_user_id": review.provider_user_id,
            "rating": review.rating,
        },
    )
    return review


# --- the provider's reply ----------------------------------------------------------------------------------------


def review_to_reply(review_id: int, provider: MarketplaceUser, *, lock: bool = False) -> Review:
    """The visible review this provider may reply to now; ReviewRefused saying why not otherwise."""
    review = visible_review_or_none(review_id, lock=lock)
    if review is None:
        raise ReviewRefused(REVIEW_NOT_FOUND, 404)
    if review.provider_user_id != provider.id:
        raise ReviewRefused(NOT_THE_PROVIDER, 403)
    if review.reply_text is not None:
        raise ReviewRefused(ALREADY_REPLIED, 409)
    return review


def post_reply(provider: MarketplaceUser, review_id: int, text: str, *, throttle: bool = True) -> Review:
    """The provider's one public reply. The review's row is locked and re-read first, so of two replies sent at
    once the second finds the first and is refused."""
    review = review_to_reply(review_id, provider, lock=True)
    with _allowance(
        "REVIEW_REPLY_RATE_LIMIT",
        limits.REVIEW_REPLY_RATE_LIMIT,
        REPLIES_WRITTEN,
        provider.id,
        TOO_MANY_REPLIES,
        enabled=throttle,
    ):
        review.reply_text = text
        review.replied_at = utcnow()
        db.session.flush()
    _audit(ActorKind.MARKETPLACE_USER, provider.id, "review.replied", review, after={"replied": True})
    return review


# --- reports -----------------------------------------------------------------------------------------------------


def review_to_report(review_id: int, reporter: MarketplaceUser) -> Review:
    """The visible review this user may report; ReviewRefused saying why not otherwise."""
    review = visible_review_or_none(review_id)
    if review is None:
        raise ReviewRefused(REVIEW_NOT_FOUND, 404)
    if review.reviewer_user_id == reporter.id:
        raise ReviewRefused(OWN_REVIEW, 403)
    if reported_by(review.id, reporter.id):
        raise ReviewRefused(ALREADY_REPORTED, 409)
    return review


def report_review(reporter: MarketplaceUser, review_id: int, reason: str) -> None:
    """One report per person and review: a second (even sent at the same moment) is refused by the key."""
    review = review_to_report(review_id, reporter)
    with _allowance(
        "REVIEW_REPORT_RATE_LIMIT",
        limits.REVIEW_REPORT_RATE_LIMIT,
        REPORTS_SENT,
        reporter.id,
        TOO_MANY_REPORTS,
    ):
        claimed = db.session.scalar(
            pg_insert(ReviewReport)
            .values(review_id=review.id, reporter_user_id=reporter.id, reason=ReportReason(reason).value)
            .on_conflict_do_nothing()
            .returning(ReviewReport.review_id)
        )
        if claimed is None:
            raise ReviewRefused(ALREADY_REPORTED, 409)


# --- moderation --------------------------------------------------------------------------------------------------


def set_review_hidden(review_id: int, hidden: bool, *, reason: str | None = None) -> Review | None:
    """Hide a review from everyone (or show it again), as an administrator on the command line, with its audit
    event. None when it already was so (nothing written); LookupError when there is no such review."""
    review = db.session.scalars(
        select(Review)
        .where(Review.id == review_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if review is None:
        raise LookupError(f"No review with id {review_id}.")
    if (review.hidden_at is not None) == hidden:
        return None
    review.hidden_at = utcnow() if hidden else None
    db.session.flush()
    after: dict[str, object] = {"hidden": hidden}
    if reason:
        after["reason"] = reason
    _audit(
        ActorKind.CLI,
        None,
        "review.hidden" if hidden else "review.unhidden",
        review,
        before={"hidden": not hidden},
        after=after,
    )
    return review
