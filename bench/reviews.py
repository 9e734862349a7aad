"""Ratings on search cards and provider pages at scale.

- Search cards: the listing browser (bench/marketplace.py's listings) with ProviderStats empty, then with a row
  for every provider: the rating is a LEFT JOIN on ProviderStats' primary key for the page's 21 rows, in the
  page's own statement, so the difference should be noise.
- Provider page: a heavy seller with HEAVY_THREADS conversations of MESSAGES_PER_THREAD messages in the last 90
  days, 300 listings and 2,000 reviews: the page with its reply figures cached, with them recomputed, and
  EXPLAIN of the recomputation.

`BENCH_DATABASE_URL=postgresql+psycopg://… python -m bench.run reviews` (BENCH_LISTINGS=200000 for a quicker run).
Data is generated in SQL and kept between runs (the heavy seller is recognised by e-mail).
"""

from __future__ import annotations

import time

from sqlalchemy import select, text

from app.extensions import db
from bench import marketplace
from bench.common import bench_app, time_it
from marketplace.providers.queries import REFRESH_RESPONSE_STATS, refresh_parameters
from models import MarketplaceUser
from models.types import utcnow

HEAVY_EMAIL = "reviewbench-seller@bench.test"
HEAVY_THREADS = 6_000
MESSAGES_PER_THREAD = 4
HEAVY_LISTINGS = 300
HEAVY_REVIEWS = 2_000


def _run(sql: str, **params: object) -> None:
    db.session.execute(text(sql), params)


def generate_heavy_seller() -> int:
    existing = db.session.scalar(select(MarketplaceUser.id).where(MarketplaceUser.email == HEAVY_EMAIL))
    if existing is not None:
        return existing
    started = time.perf_counter()
    _run(
        """INSERT INTO "Tenant" (name, slug, "updatedAt") VALUES ('Review Bench', 'review-bench', now())
           ON CONFLICT DO NOTHING"""
    )
    _run(
        """INSERT INTO "MarketplaceUser" (email, password_hash, first_name, last_name, user_type, status,
                                          tenant_id, tenant_verified, updated_at)
           SELECT :email, 'x', 'Heavy', 'Seller', 'service_provider', 'active', id, true, now()
           FROM "Tenant" WHERE slug = 'review-bench'""",
        email=HEAVY_EMAIL,
    )
    seller_id = db.session.scalar(select(MarketplaceUser.id).where(MarketplaceUser.email == HEAVY_EMAIL))
    _run(
        """INSERT INTO "MarketplaceUser" (email, password_hash, first_name, last_name, updated_at)
           SELECT 'reviewbench-buyer-' || g || '@bench.test', 'x', 'Buyer', 'No' || g, now()
           FROM generate_series(1, :threads) g""",
        threads=HEAVY_THREADS,
    )
    _run(
        """INSERT INTO "ServiceListing" (provider_user_id, title, description, category, price_cents, price_type,
                                         state, zip_code, status, published_at, created_at, updated_at)
           SELECT :seller, 'Bench grooming ' || g, 'Grooming', 'grooming', 5000, 'fixed', 'TX', '78701', 'active',
                  now() - g * interval '1 hour', now(), now()
           FROM generate_series(1, :listings) g""",
        seller=seller_id,
        listings=HEAVY_LISTINGS,
    )
    # One conversation per buyer; the buyer writes first, the seller answers after 5 minutes to 40 hours.
    _run(
        """INSERT INTO "MessageThread" (listing_id, buyer_user_id, seller_user_id, subject, status, created_at,
                                        last_message_at)
           SELECT (SELECT min(id) FROM "ServiceListing" WHERE provider_user_id = :seller), u.id, :seller, 'Hello',
                  'active', now() - (u.id % 85 + 1) * interval '1 day',
                  now() - (u.id % 85 + 1) * interval '1 day' + interval '2 days'
           FROM "MarketplaceUser" u WHERE u.email LIKE 'reviewbench-buyer-%'""",
        seller=seller_id,
    )
    _run(
        """INSERT INTO "Message" (thread_id, sender_user_id, message_text, read_at, created_at)
           SELECT t.id, CASE WHEN n % 2 = 1 THEN t.buyer_user_id ELSE t.seller_user_id END, 'message ' || n,
                  t.created_at, t.created_at + (n - 1) * ((t.id % 480) + 5) * interval '1 minute'
           FROM "MessageThread" t CROSS JOIN generate_series(1, :per_thread) n
           WHERE t.seller_user_id = :seller""",
        seller=seller_id,
        per_thread=MESSAGES_PER_THREAD,
    )
    # Completed sales and their reviews, through the database's rules (the trigger checks and counts).
    _run(
        """INSERT INTO "MarketplaceTransaction" (provider_tenant_id, provider_user_id, client_user_id,
                                                 service_description, amount_cents, platform_fee_cents,
                                                 net_payout_cents, transaction_date, status)
           SELECT s.tenant_id, s.id, t.buyer_user_id, 'Bench sale', 10000, 500, 9500, current_date, 'completed'
           FROM "MessageThread" t JOIN "MarketplaceUser" s ON s.id = t.seller_user_id
           WHERE t.seller_user_id = :seller ORDER BY t.id LIMIT :reviews""",
        seller=seller_id,
        reviews=HEAVY_REVIEWS,
    )
    _run(
        """INSERT INTO "Review" (marketplace_transaction_id, provider_tenant_id, provider_user_id, reviewer_user_id,
                                 rating, body)
           SELECT id, provider_tenant_id, provider_user_id, client_user_id, 1 + id % 5, 'Bench review ' || id
           FROM "MarketplaceTransaction" WHERE provider_user_id = :seller""",
        seller=seller_id,
    )
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in ("Message", "MessageThread", "MarketplaceTransaction", "Review", "ServiceListing"):
            connection.execute(text(f'VACUUM ANALYZE "{table}"'))
    print(f"  heavy seller generated in {time.perf_counter() - started:.1f} s")
    return seller_id


def fill_provider_stats() -> None:
    """A ProviderStats row for every provider (as if each had reviews): the worst case for the cards' join."""
    _run(
        """INSERT INTO "ProviderStats" (provider_user_id, review_count, rating_sum)
           SELECT id, 1 + id % 40, (1 + id % 40) * 4 FROM "MarketplaceUser"
           WHERE user_type IN ('service_provider', 'both') ON CONFLICT DO NOTHING"""
    )
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text('VACUUM ANALYZE "ProviderStats"'))


def main() -> None:
    app = bench_app()
    with app.app_context():
        marketplace.generate()
        seller_id = generate_heavy_seller()
        client = app.test_client()
        paths = {
            "front page (newest)": "/listings",
            "keyword 'golden retriever'": "/listings?q=golden+retriever",
            "filters: grooming, TX, $50-$500": "/listings?category=grooming&state=TX&min_price=50&max_price=500",
        }
        # The bench's made-up rows (providers without reviews) go first, so the cards are timed both ways.
        _run(
            """DELETE FROM "ProviderStats" s
               WHERE NOT EXISTS (SELECT 1 FROM "Review" r WHERE r.provider_user_id = s.provider_user_id)"""
        )
        db.session.commit()
        for fill in (False, True):
            if fill:
                fill_provider_stats()
            saved = db.session.execute(text('SELECT count(*) FROM "ProviderStats"')).scalar()
            print(f"\n--- search cards, ProviderStats holding {saved:,} rows")
            for label, path in paths.items():
                time_it(f"{label}", lambda path=path: client.get(path))
        print("\n--- the rating's part of the page statement (EXPLAIN ANALYZE), front page")
        for statement, parameters in marketplace.capture_statements(client, "/listings"):
            if "ProviderStats" not in statement:
                continue
            plan = db.session.connection().exec_driver_sql(
                f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters
            )
            lines = plan.scalars().all()
            for index, line in enumerate(lines):
                if "ProviderStats" in line or "Execution Time" in line:
                    print("    " + " | ".join(part.strip() for part in lines[index : index + 2]))

        print(
            f"\n--- provider page of a seller with {HEAVY_THREADS:,} recent conversations, {HEAVY_REVIEWS:,} reviews"
        )
        page = f"/providers/{seller_id}"
        time_it("provider page, reply figures cached", lambda: client.get(page))

        def recomputed() -> None:
            _run(
                'UPDATE "ProviderStats" SET response_computed_at = NULL WHERE provider_user_id = :id',
                id=seller_id,
            )
            db.session.commit()
            client.get(page)

        time_it("provider page, reply figures recomputed", recomputed)
        statement = text(f"EXPLAIN (ANALYZE, BUFFERS) {REFRESH_RESPONSE_STATS.text}")
        plan = db.session.execute(statement, refresh_parameters(seller_id, utcnow())).scalars().all()
        db.session.rollback()
        keep = ("Execution Time", "Index", "Seq Scan", "Sort", "Aggregate")
        for line in plan:
            if any(word in line for word in keep):
                print("    " + line.strip())
