"""Revision 0025: the near-me index carries the price, replacing 0019's; up, down and up again with listings in
the table, and a near-me count with a price range read from the index alone."""

from __future__ import annotations

from tests.schema.conftest import ScratchDatabase

BEFORE = "0024_providers_not_in_standing"
REVISION = "0025_location_index_price"
NEW, OLD = "ServiceListing_location_price_idx", "ServiceListing_location_idx"

LISTINGS = """
INSERT INTO "MarketplaceUser" (id, email, password_hash, user_type, updated_at)
VALUES (1, 'seller@example.com', 'x', 'service_provider', now());
INSERT INTO "ServiceListing" (id, provider_user_id, title, description, category, zip_code, price_cents, status,
                              updated_at)
VALUES (1, 1, 'Dallas', 'd', 'grooming', '75201', 5000, 'active', now()),
       (2, 1, 'Austin', 'd', 'grooming', '78701', 9000, 'active', now());
"""
LISTED = 'SELECT id, title, price_cents, latitude IS NOT NULL FROM "ServiceListing" ORDER BY id'


def _location_indexes(database: ScratchDatabase) -> dict[str, str]:
    rows = database.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN (%(new)s, %(old)s)",
        {"new": NEW, "old": OLD},
    )
    return {name: definition for name, definition in rows}


def test_up_down_up_swaps_the_location_index_and_keeps_every_listing(scratch_db):
    database = scratch_db()
    database.upgrade(BEFORE)
    database.execute(LISTINGS)
    listed = database.execute(LISTED)
    old_index = {OLD: "INCLUDE (id, category, provider_user_id, service_area_miles) WHERE"}
    new_index = {NEW: "INCLUDE (id, category, provider_user_id, service_area_miles, price_cents) WHERE"}
    for step, revision, wanted in [
        (database.upgrade, BEFORE, old_index),
        (database.upgrade, REVISION, new_index),
        (database.downgrade, BEFORE, old_index),
        (database.upgrade, REVISION, new_index),
    ]:
        step(revision)
        indexes = _location_indexes(database)
        assert set(indexes) == set(wanted), (step.__name__, revision)
        for name, included in wanted.items():
            assert included in indexes[name] and "((status)::text = 'active'::text)" in indexes[name]
        assert database.execute(LISTED) == listed


def test_a_near_count_with_a_price_range_reads_the_index_alone(scratch_db):
    database = scratch_db()
    database.upgrade(REVISION)
    database.execute(LISTINGS)
    database.execute('VACUUM ANALYZE "ServiceListing"')
    with database.connect() as conn:
        conn.execute("SET enable_seqscan = off")  # two rows: the planner would rather read the table
        plan = conn.execute(
            """EXPLAIN (COSTS OFF) SELECT category, count(*) FROM "ServiceListing"
               WHERE status = 'active' AND latitude BETWEEN 32 AND 33.5 AND longitude BETWEEN -97.5 AND -96
                 AND price_cents BETWEEN 1000 AND 6000 GROUP BY category"""
        ).fetchall()
    assert any(f'Index Only Scan using "{NEW}"' in line for (line,) in plan), plan
