"""Reviews of completed sales, reports of reviews, and per-provider stats (revision 0014).

The database keeps two rules itself, whoever writes (triggers of revision 0014, not visible in these classes):
- review_from_sale: a review's sale must be completed and its author must be that sale's buyer; the provider,
  the provider's breeder and the listing are copied from the sale, whatever the writer put there;
- provider_stats_count_review: ProviderStats.review_count and rating_sum follow the visible (not hidden) reviews.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, SmallInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from models.audit import UTC_NOW
from models.base import Base
from models.types import SPEC_TIMESTAMP, check_in, intpk, utcnow

# The database's ceiling for a review's text and its reply. The forms' limits (marketplace/limits.py) are lower,
# so they can be tuned without a migration.
TEXT_CEILING_CHARS = 4000
HIGHEST_RATING = 5


class ReportReason(StrEnum):
    OFFENSIVE = "offensive"
    PERSONAL_INFORMATION = "personal_information"
    NOT_ABOUT_THE_SERVICE = "not_about_the_service"
    SPAM = "spam"
    OTHER = "other"


def _text_check(column: str) -> str:
    return f"{column} ~ '[^[:space:]]' AND char_length({column}) <= {TEXT_CEILING_CHARS}"


class Review(Base):
    """A buyer's review of one completed sale: 1-5 stars, a text, and at most one public reply by the provider."""

    __tablename__ = "Review"
    __table_args__ = (
        CheckConstraint(f"rating >= 1 AND rating <= {HIGHEST_RATING}", name="rating"),
        CheckConstraint(_text_check("body"), name="body"),
        CheckConstraint(f"reply_text IS NULL OR ({_text_check('reply_text')})", name="reply_text"),
        CheckConstraint("(reply_text IS NULL) = (replied_at IS NULL)", name="replied_at"),
        # A provider's reviews, newest first (keyset by id), and the cascade when the provider's account goes.
        Index("Review_provider_user_id_id_idx", "provider_user_id", text("id DESC")),
        Index("Review_reviewer_user_id_idx", "reviewer_user_id"),
        Index("Review_provider_tenant_id_idx", "provider_tenant_id"),
        Index(
            "Review_service_listing_id_idx",
            "service_listing_id",
            postgresql_where=text("service_listing_id IS NOT NULL"),
        ),
    )

    id: Mapped[intpk]
    marketplace_transaction_id: Mapped[int] = mapped_column(
        ForeignKey("MarketplaceTransaction.id", ondelete="CASCADE"), unique=True
    )
    # Copied from the sale (by the application, and again by the review_from_sale trigger).
    provider_tenant_id: Mapped[int] = mapped_column(ForeignKey("Tenant.id", ondelete="RESTRICT"))
    provider_user_id: Mapped[int] = mapped_column(ForeignKey("MarketplaceUser.id", ondelete="CASCADE"))
    reviewer_user_id: Mapped[int] = mapped_column(ForeignKey("MarketplaceUser.id", ondelete="CASCADE"))
    service_listing_id: Mapped[int | None] = mapped_column(
        ForeignKey("ServiceListing.id", ondelete="SET NULL")
    )
    rating: Mapped[int] = mapped_column(SmallInteger)
    body: Mapped[str] = mapped_column(Text)
    reply_text: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column(SPEC_TIMESTAMP)
    hidden_at: Mapped[datetime | None] = mapped_column(SPEC_TIMESTAMP)
    created_at: Mapped[datetime] = mapped_column(SPEC_TIMESTAMP, server_default=UTC_NOW, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        SPEC_TIMESTAMP, server_default=UTC_NOW, default=utcnow, onupdate=utcnow
    )


class ReviewReport(Base):
    """Someone told the administrators that a review breaks the rules: one report per person and review."""

    __tablename__ = "ReviewReport"
    __table_args__ = (
        check_in("reason", ReportReason),
        Index("ReviewReport_reporter_user_id_idx", "reporter_user_id"),
    )

    review_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("Review.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    reporter_user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("MarketplaceUser.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    reason: Mapped[str] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(SPEC_TIMESTAMP, server_default=UTC_NOW, default=utcnow)


class ProviderStats(Base):
    """One provider's figures for cards and their page.

    review_count and rating_sum: the visible reviews, kept by the database (trigger provider_stats_count_review);
    never write them from Python. The response_* columns: a cache of the reply rate and median reply time over
    recent conversations, recomputed by marketplace.providers.queries when older than its time to live."""

    __tablename__ = "ProviderStats"
    __table_args__ = (
        CheckConstraint(
            f"rating_sum >= review_count AND rating_sum <= {HIGHEST_RATING} * review_count", name="rating_sum"
        ),
        CheckConstraint(
            "response_threads_answered >= 0 AND response_threads_answered <= response_threads",
            name="response_threads_answered",
        ),
        CheckConstraint("response_median_seconds >= 0", name="response_median_seconds"),
    )

    provider_user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("MarketplaceUser.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    review_count: Mapped[int] = mapped_column(server_default="0", default=0)
    rating_sum: Mapped[int] = mapped_column(server_default="0", default=0)
    response_threads: Mapped[int | None] = mapped_column(Integer)
    response_threads_answered: Mapped[int | None] = mapped_column(Integer)
    response_median_seconds: Mapped[int | None] = mapped_column(Integer)
    response_computed_at: Mapped[datetime | None] = mapped_column(SPEC_TIMESTAMP)


@dataclass(frozen=True)
class Rating:
    """A provider's visible reviews: how many, and their average to one decimal (None without reviews)."""

    count: int
    total: int

    @classmethod
    def of(cls, count: int | None, total: int | None) -> Rating:
        return cls(count or 0, total or 0)

    @property
    def average(self) -> float | None:
        return round(self.total / self.count, 1) if self.count else None
