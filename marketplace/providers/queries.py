"""A provider's public page: who they are, their figures (reviews, reply rate and time) and their listings.

The reply figures come from real message timestamps, over the provider's conversations as the seller:
- a conversation counts from the buyer's first message, if that came within the last RESPONSE_WINDOW;
- its reply is the seller's first message after it, not counting deal cards (the app posts those for a sale);
- it is *answered* when that reply came within REPLY_WITHIN (24 hours) of the buyer's first message;
- a conversation younger than REPLY_WITHIN with no reply yet is left out (it may still be answered in time);
- the rate is answered / counted; the typical reply time is the median of every reply's delay.
Computing them reads two index probes per conversation (Message_thread_idx): about 70 ms for a seller with 6,000
recent conversations (measured with the script bench/reviews.py, replaced by `make bench` in commit 95bf70b; see
docs/performance.md), too much for every view of a busy seller's page, so the result is cached in ProviderStats
and recomputed when older than PROVIDER_STATS_TTL_SECONDS (an hour by default): by the first view after that, in
one INSERT ... ON CONFLICT DO UPDATE ... RETURNING. Every worker shares the cache (it is a table), a restart keeps it, and the page runs the same
statements whatever the provider's size: the profile with its figures, then (only when stale) the refresh, the
listings, and a page of reviews.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import abort, current_app
from sqlalchemy import Integer, bindparam, select, text

from app.extensions import db
from marketplace.listings.queries import publicly_visible
from models import MarketplaceUser, ProviderStats, Rating, ServiceListing, UserType
from models.scoping import prebuilt
from models.types import utcnow

RESPONSE_WINDOW = timedelta(days=90)
REPLY_WITHIN = timedelta(hours=24)
PROVIDER_LISTINGS_SHOWN = 24
PROVIDER_TYPES = (UserType.SERVICE_PROVIDER.value, UserType.BOTH.value)

# One statement: the figures over the window, written into the provider's ProviderStats row (made on first use),
# returning the row. The rating counters are the trigger's and are left alone. Each conversation's first question
# and first reply are one LIMIT 1 walk of Message_thread_idx (thread_id, created_at DESC) each, through LATERAL
# joins, computed once (MATERIALIZED: inlined, the planner repeated them in every expression that uses them).
REFRESH_RESPONSE_STATS = text(
    """
    WITH asked AS MATERIALIZED (
      SELECT t.id, first_question.asked_at
      FROM "MessageThread" t
      CROSS JOIN LATERAL (
        SELECT m.created_at AS asked_at FROM "Message" m
        WHERE m.thread_id = t.id AND m.sender_user_id = t.buyer_user_id
        ORDER BY m.created_at LIMIT 1
      ) first_question
      WHERE t.seller_user_id = :provider_id AND t.last_message_at >= :window_start
        AND first_question.asked_at >= :window_start
    ), replied AS MATERIALIZED (
      SELECT a.asked_at, first_reply.replied_at
      FROM asked a
      LEFT JOIN LATERAL (
        SELECT m.created_at AS replied_at FROM "Message" m
        WHERE m.thread_id = a.id AND m.sender_user_id = :provider_id
          AND m.marketplace_transaction_id IS NULL AND m.created_at >= a.asked_at
        ORDER BY m.created_at LIMIT 1
      ) first_reply ON true
    ), decided AS (
      SELECT asked_at, replied_at, replied_at - asked_at <= :reply_within AS in_time
      FROM replied
      WHERE asked_at <= :now - :reply_within OR replied_at - asked_at <= :reply_within
    )
    INSERT INTO "ProviderStats" AS stats (
      provider_user_id, response_threads, response_threads_answered, response_median_seconds, response_computed_at
    )
    SELECT :provider_id,
           count(*),
           count(*) FILTER (WHERE in_time),
           round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM replied_at - asked_at))
                 FILTER (WHERE replied_at IS NOT NULL)),
           :now
    FROM decided
    ON CONFLICT (provider_user_id) DO UPDATE
    SET response_threads = EXCLUDED.response_threads,
        response_threads_answered = EXCLUDED.response_threads_answered,
        response_median_seconds = EXCLUDED.response_median_seconds,
        response_computed_at = EXCLUDED.response_computed_at
    RETURNING review_count, rating_sum, response_threads, response_threads_answered, response_median_seconds,
              response_computed_at
    """
)


@dataclass(frozen=True)
class ResponseStats:
    """How the provider answers new conversations (see the module's docstring for what counts)."""

    conversations: int
    answered_in_time: int
    median_seconds: int | None
    computed_at: datetime

    @property
    def rate_percent(self) -> int | None:
        return round(100 * self.answered_in_time / self.conversations) if self.conversations else None

    @property
    def typical(self) -> str | None:
        """The median delay in words, like "within an hour"."""
        seconds = self.median_seconds
        if seconds is None:
            return None
        for limit, words in (
            (3600, "within an hour"),
            (6 * 3600, "within a few hours"),
            (86400, "within a day"),
        ):
            if seconds <= limit:
                return words
        return "in more than a day"


@dataclass(frozen=True)
class ProviderProfile:
    id: int
    name: str
    initials: str
    avatar_url: str | None
    member_since: datetime | None
    verified: bool
    rating: Rating
    response: ResponseStats | None
    refreshed: bool  # the reply figures were recomputed by this request: commit to keep them


def initials(name: str) -> str:
    """Up to two letters for the avatar: the first of the first and the last word ("Sam Seller" -> "SS")."""
    words = [word for word in name.split() if word[:1].isalnum()]
    if not words:
        return "?"
    letters = words[0][0] + (words[-1][0] if len(words) > 1 else "")
    return letters.upper()


def _avatar(url: str | None) -> str | None:
    """The spec's avatar_url when it is a web address or a path on this site; anything else shows initials."""
    url = (url or "").strip()
    if url.startswith(("https://", "http://")) or (url.startswith("/") and not url.startswith("//")):
        return url if not any(char.isspace() for char in url) else None
    return None


def _response(row) -> ResponseStats | None:
    if row.response_computed_at is None:
        return None
    return ResponseStats(
        conversations=row.response_threads or 0,
        answered_in_time=row.response_threads_answered or 0,
        median_seconds=row.response_median_seconds,
        computed_at=row.response_computed_at,
    )


def _stale(computed_at: datetime | None, now: datetime) -> bool:
    ttl = current_app.config.get("PROVIDER_STATS_TTL_SECONDS", 3600)
    return computed_at is None or computed_at <= now - timedelta(seconds=ttl)


def refresh_response_stats(provider_id: int, now: datetime | None = None):
    """Recompute the provider's reply figures now, in the caller's transaction; the ProviderStats row's values."""
    return db.session.execute(REFRESH_RESPONSE_STATS, refresh_parameters(provider_id, now or utcnow())).one()


def refresh_parameters(provider_id: int, now: datetime) -> dict[str, object]:
    """REFRESH_RESPONSE_STATS' parameters for this provider at `now` (naive UTC, like the messages' times)."""
    return {
        "provider_id": provider_id,
        "now": now,
        "window_start": now - RESPONSE_WINDOW,
        "reply_within": REPLY_WITHIN,
    }


def public_provider_or_404(provider_id: int) -> ProviderProfile:
    """A provider in good standing, with their figures (the reply figures recomputed if stale: then `refreshed`
    is set, and the caller commits); 404 for a suspended or banned account, a plain buyer, or no one."""
    row = db.session.execute(
        select(
            MarketplaceUser.id,
            MarketplaceUser.display_name.label("name"),
            MarketplaceUser.avatar_url,
            MarketplaceUser.created_at,
            MarketplaceUser.tenant_verified,
            ProviderStats.review_count,
            ProviderStats.rating_sum,
            ProviderStats.response_threads,
            ProviderStats.response_threads_answered,
            ProviderStats.response_median_seconds,
            ProviderStats.response_computed_at,
        )
        .outerjoin(ProviderStats, ProviderStats.provider_user_id == MarketplaceUser.id)
        .where(
            MarketplaceUser.id == provider_id,
            MarketplaceUser.in_good_standing,
            MarketplaceUser.user_type.in_(PROVIDER_TYPES),
        )
    ).one_or_none()
    if row is None:
        abort(404)
    stats = row
    now = utcnow()
    refreshed = _stale(row.response_computed_at, now)
    if refreshed:
        stats = refresh_response_stats(provider_id, now)
    return ProviderProfile(
        id=row.id,
        name=row.name,
        initials=initials(row.name),
        avatar_url=_avatar(row.avatar_url),
        member_since=row.created_at,
        verified=bool(row.tenant_verified),
        rating=Rating.of(stats.review_count, stats.rating_sum),
        response=_response(stats),
        refreshed=refreshed,
    )


def provider_listings(provider_id: int) -> tuple[Sequence[ServiceListing], bool]:
    """The provider's public listings, newest first, at most PROVIDER_LISTINGS_SHOWN; and whether there are more."""
    listings = db.session.scalars(
        select(ServiceListing)
        .join(MarketplaceUser, ServiceListing.provider_user_id == MarketplaceUser.id)
        .where(ServiceListing.provider_user_id == provider_id, publicly_visible())
        .order_by(ServiceListing.published_at.desc().nulls_last(), ServiceListing.id.desc())
        .limit(PROVIDER_LISTINGS_SHOWN + 1)
    ).all()
    return listings[:PROVIDER_LISTINGS_SHOWN], len(listings) > PROVIDER_LISTINGS_SHOWN


_PROVIDER_STATS = prebuilt(
    select(ProviderStats.review_count, ProviderStats.rating_sum).where(
        ProviderStats.provider_user_id == bindparam("provider_id", type_=Integer)
    )
)


def provider_rating(provider_id: int) -> Rating:
    """The provider's visible reviews as counted by the database (one primary-key read)."""
    row = db.session.execute(_PROVIDER_STATS, {"provider_id": provider_id}).one_or_none()
    return Rating.of(row.review_count, row.rating_sum) if row else Rating(0, 0)
