"""Revision 0014: reviews, reports and provider stats on an existing database; up, down and up again keep the sales,
and the triggers work for a writer that is not this app (plain SQL)."""

from __future__ import annotations

import psycopg
import pytest

from tests.schema.conftest import ScratchDatabase

BEFORE = "0013_online_payments"
REVISION = "0014_provider_reviews"

EXISTING = """
INSERT INTO "Tenant" (id, name, slug, "updatedAt") VALUES (1, 'Sunny Acres', 'sunny-acres', now()),
  (2, 'Oak Ridge', 'oak-ridge', now());
INSERT INTO "MarketplaceUser" (id, email, password_hash, user_type, updated_at) VALUES
  (1, 'buyer@example.com', 'x', 'buyer', now()), (2, 'seller@example.com', 'x', 'service_provider', now()),
  (3, 'other@example.com', 'x', 'service_provider', now());
INSERT INTO "MarketplaceTransaction" (id, provider_tenant_id, provider_user_id, client_user_id,
                                      service_description, amount_cents, transaction_date, status)
VALUES (1, 1, 2, 1, 'Stud service', 25000, '2026-11-27', 'completed'),
       (2, 1, 2, 1, 'Grooming', 5000, '2026-11-27', 'pending'),
       (3, 1, 2, 1, 'Old sale, status unknown', 5000, '2026-11-27', NULL);
"""


def _tables(database: ScratchDatabase) -> list[str]:
    return [
        name
        for (name,) in database.execute(
            """SELECT relname FROM pg_class WHERE relname IN ('Review', 'ReviewReport', 'ProviderStats')
               ORDER BY relname"""
        )
    ]


def _functions(database: ScratchDatabase) -> list[str]:
    return [
        name
        for (name,) in database.execute(
            """SELECT proname FROM pg_proc WHERE proname IN
               ('review_from_sale', 'provider_stats_count_review', 'provider_stats_reviews_truncated')
               ORDER BY proname"""
        )
    ]


def test_up_down_up_and_the_rules_hold_for_plain_sql(scratch_db):
    database = scratch_db()
    database.upgrade(BEFORE)
    database.execute(EXISTING)
    sales = database.execute('SELECT * FROM "MarketplaceTransaction" ORDER BY id')

    database.upgrade(REVISION)
    assert _tables(database) == ["ProviderStats", "Review", "ReviewReport"]
    # A writer naming another provider and breeder gets the sale's; a NULL status counts as completed.
    database.execute(
        """INSERT INTO "Review" (marketplace_transaction_id, provider_tenant_id, provider_user_id, reviewer_user_id,
                                 rating, body)
           VALUES (1, 2, 3, 1, 4, 'Good'), (3, 2, 3, 1, 2, 'Meh')"""
    )
    assert database.execute('SELECT provider_user_id, provider_tenant_id FROM "Review" ORDER BY id') == [
        (2, 1),
        (2, 1),
    ]
    assert database.execute('SELECT provider_user_id, review_count, rating_sum FROM "ProviderStats"') == [
        (2, 2, 6)
    ]
    with pytest.raises(psycopg.errors.CheckViolation, match="A review needs a completed sale"):
        database.execute(
            """INSERT INTO "Review" (marketplace_transaction_id, provider_tenant_id, provider_user_id,
                                     reviewer_user_id, rating, body) VALUES (2, 1, 2, 1, 5, 'Early')"""
        )
    with pytest.raises(psycopg.errors.UniqueViolation):
        database.execute(
            """INSERT INTO "Review" (marketplace_transaction_id, provider_tenant_id, provider_user_id,
                                     reviewer_user_id, rating, body) VALUES (1, 1, 2, 1, 5, 'Again')"""
        )
    database.execute(
        "INSERT INTO \"ReviewReport\" (review_id, reporter_user_id, reason) VALUES (1, 3, 'spam')"
    )
    database.execute('TRUNCATE "Review" CASCADE')
    assert database.execute('SELECT review_count, rating_sum FROM "ProviderStats"') == [(0, 0)]

    database.downgrade(BEFORE)
    assert _tables(database) == [] and _functions(database) == []
    assert database.execute('SELECT * FROM "MarketplaceTransaction" ORDER BY id') == sales

    database.upgrade(REVISION)
    assert _tables(database) == ["ProviderStats", "Review", "ReviewReport"]
    assert len(_functions(database)) == 3
