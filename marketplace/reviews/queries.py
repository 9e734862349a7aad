"""Reading reviews: the purchase a review would be about, one visible review, and a provider's reviews page.

Every lookup filters in SQL: a sale is found only for its buyer or its provider, a hidden review is found by no
one (administrators use the CLI).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import exists, literal, or_, select
from sqlalchemy.orm import aliased

from app.extensions import db
from models import (
    ListingStatus,
    MarketplaceTransaction,
    MarketplaceUser,
    Review,
    ReviewReport,
    ServiceListing,
    TransactionStatus,
)

REVIEWS_PAGE_SIZE = 10

Sale = MarketplaceTransaction
Provider = aliased(MarketplaceUser, name="provider")
Reviewer = aliased(MarketplaceUser, name="reviewer")


# --- the purchase behind a review ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Purchase:
    """A sale as its buyer sees it on the review form, with its review if it has one."""

    sale_id: int
    status: str
    client_user_id: int | None
    provider_user_id: int | None
    provider_tenant_id: int
    provider_name: str | None
    description: str
    amount_cents: int
    currency: str
    transaction_date: date
    listing_title: str | None
    review_id: int | None


def purchase_for_participant_or_none(sale_id: int, user_id: int, *, lock: bool = False) -> Purchase | None:
    """The sale if this user is its buyer or its provider; None for anyone else's (or a missing) sale.

    lock=True holds a share lock on the sale's row until commit: a status move (which locks it for update) waits,
    so the sale stays completed while its review is written."""
    statement = (
        select(
            Sale.id,
            Sale.status,
            Sale.client_user_id,
            Sale.provider_user_id,
            Sale.provider_tenant_id,
            Provider.display_name.label("provider_name"),
            Sale.service_description,
            Sale.amount_cents,
            Sale.currency,
            Sale.transaction_date,
            ServiceListing.title,
            Review.id.label("review_id"),
        )
        .outerjoin(Provider, Provider.id == Sale.provider_user_id)
        .outerjoin(ServiceListing, ServiceListing.id == Sale.service_listing_id)
        .outerjoin(Review, Review.marketplace_transaction_id == Sale.id)
        .where(Sale.id == sale_id, or_(Sale.client_user_id == user_id, Sale.provider_user_id == user_id))
    )
    if lock:
        statement = statement.with_for_update(read=True, of=Sale)
    row = db.session.execute(statement).one_or_none()
    if row is None:
        return None
    return Purchase(
        sale_id=row.id,
        status=row.status or TransactionStatus.COMPLETED,
        client_user_id=row.client_user_id,
        provider_user_id=row.provider_user_id,
        provider_tenant_id=row.provider_tenant_id,
        provider_name=row.provider_name,
        description=row.service_description,
        amount_cents=row.amount_cents,
        currency=row.currency or "USD",
        transaction_date=row.transaction_date,
        listing_title=row.title,
        review_id=row.review_id,
    )


# --- one review --------------------------------------------------------------------------------------------------


def visible_review_or_none(review_id: int, *, lock: bool = False) -> Review | None:
    """A review anyone may see (not hidden); lock=True holds its row until commit."""
    statement = select(Review).where(Review.id == review_id, Review.hidden_at.is_(None))
    if lock:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    return db.session.scalars(statement).one_or_none()


def reported_by(review_id: int, user_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(
                exists().where(ReviewReport.review_id == review_id, ReviewReport.reporter_user_id == user_id)
            )
        )
    )


# --- a provider's reviews ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewRow:
    id: int
    rating: int
    body: str
    created_at: datetime
    reviewer_user_id: int
    reviewer_name: str
    listing_id: int | None
    listing_title: str | None
    listing_public: bool
    reply_text: str | None
    replied_at: datetime | None
    reported_by_viewer: bool


@dataclass(frozen=True)
class ReviewsPage:
    rows: list[ReviewRow]
    older_than: int | None  # the cursor of the next (older) page, if there is one


def public_reviewer_name(first_name: str | None, last_name: str | None) -> str:
    """A reviewer as the public sees them: first name and last initial ("Bailey B."), never the e-mail."""
    first, last = (first_name or "").strip(), (last_name or "").strip()
    if first and last:
        return f"{first} {last[0]}."
    return first or (f"{last[0]}." if last else "A buyer")


def provider_reviews_page(provider_id: int, viewer_id: int | None, before_id: int | None) -> ReviewsPage:
    """The provider's visible reviews, newest first, REVIEWS_PAGE_SIZE at a time from before_id: one statement
    (reviewer, listing and whether the viewer reported each come in the same row)."""
    reported = (
        exists().where(ReviewReport.review_id == Review.id, ReviewReport.reporter_user_id == viewer_id)
        if viewer_id is not None
        else literal(False)
    )
    statement = (
        select(
            Review.id,
            Review.rating,
            Review.body,
            Review.created_at,
            Review.reviewer_user_id,
            Reviewer.first_name,
            Reviewer.last_name,
            Review.service_listing_id,
            ServiceListing.title,
            (ServiceListing.status == ListingStatus.ACTIVE.value).label("listing_active"),
            Review.reply_text,
            Review.replied_at,
            reported.label("reported"),
        )
        .join(Reviewer, Reviewer.id == Review.reviewer_user_id)
        .outerjoin(ServiceListing, ServiceListing.id == Review.service_listing_id)
        .where(Review.provider_user_id == provider_id, Review.hidden_at.is_(None))
        .order_by(Review.id.desc())
        .limit(REVIEWS_PAGE_SIZE + 1)
    )
    if before_id is not None:
        statement = statement.where(Review.id < before_id)
    rows = db.session.execute(statement).all()
    page = [
        ReviewRow(
            id=row.id,
            rating=row.rating,
            body=row.body,
            created_at=row.created_at,
            reviewer_user_id=row.reviewer_user_id,
            reviewer_name=public_reviewer_name(row.first_name, row.last_name),
            listing_id=row.service_listing_id,
            listing_title=row.title,
            listing_public=bool(row.listing_active),
            reply_text=row.reply_text,
            replied_at=row.replied_at,
            reported_by_viewer=bool(row.reported),
        )
        for row in rows[:REVIEWS_PAGE_SIZE]
    ]
    return ReviewsPage(rows=page, older_than=page[-1].id if len(rows) > REVIEWS_PAGE_SIZE else None)
