"""Revision 0019: ZIP centroids loaded offline, listings located by the database from their ZIP (on insert, on a
ZIP change, in the backfill), and up, down, up again with listings in the table."""

from __future__ import annotations

import pytest

from tests.schema.conftest import ScratchDatabase

BEFORE = "0018_sign_in_sessions_two_factor"
REVISION = "0019_listing_location"

# Listing 1 in Dallas (ZIP+4), 2 in Austin, 3 with a ZIP that does not exist, 4 with none; 40000 in Austin, in
# a later batch of the backfill, with ids past smallint.
EXISTING = """
INSERT INTO "MarketplaceUser" (id, email, password_hash, user_type, updated_at)
VALUES (1, 'seller@example.com', 'x', 'service_provider', now());
INSERT INTO "ServiceListing" (id, provider_user_id, title, description, category, zip_code, status, updated_at)
VALUES (1, 1, 'Dallas', 'd', 'grooming', '75201-1234', 'active', now()),
       (2, 1, 'Austin', 'd', 'grooming', '78701', 'active', now()),
       (3, 1, 'Nowhere', 'd', 'grooming', '00000', 'active', now()),
       (4, 1, 'No ZIP', 'd', 'grooming', NULL, 'draft', now()),
       (40000, 1, 'Far id', 'd', 'grooming', '78701', 'active', now());
"""
LOCATIONS = 'SELECT id, latitude, longitude FROM "ServiceListing" ORDER BY id'
DALLAS = (pytest.approx(32.7904), pytest.approx(-96.8044))
AUSTIN = (pytest.approx(30.2713, abs=0.01), pytest.approx(-97.7426, abs=0.01))


def _located(database: ScratchDatabase) -> dict[int, tuple]:
    return {row[0]: (row[1], row[2]) for row in database.execute(LOCATIONS)}


def test_upgrade_loads_the_centroids_and_locates_existing_listings(scratch_db):
    database = scratch_db()
    database.upgrade(BEFORE)
    database.execute(EXISTING)

    database.upgrade(REVISION)

    assert database.execute('SELECT count(*) > 40000 FROM "ZipCentroid"') == [(True,)]
    assert database.execute("""SELECT city, state FROM "ZipCentroid" WHERE zip_code = '75201'""") == [
        ("Dallas", "TX")
    ]
    located = _located(database)
    assert located[1] == DALLAS and located[2] == AUSTIN
    assert located[3] == (None, None) and located[4] == (None, None)
    assert located[40000] == AUSTIN
    assert database.execute(
        """SELECT indexdef LIKE '%(latitude, longitude) INCLUDE (id, category, provider_user_id, service_area_miles)%'
           FROM pg_indexes WHERE indexname = 'ServiceListing_location_idx'"""
    ) == [(True,)]


def test_the_database_locates_a_listing_on_insert_and_when_its_zip_changes(scratch_db):
    database = scratch_db()
    database.upgrade(REVISION)
    database.execute(EXISTING)  # written after the revision: the insert trigger locates them
    located = _located(database)
    assert located[1] == DALLAS and located[3] == (None, None)

    database.execute("""UPDATE "ServiceListing" SET zip_code = '75201' WHERE id = 2""")
    database.execute("""UPDATE "ServiceListing" SET zip_code = 'not a zip' WHERE id = 1""")
    database.execute("""UPDATE "ServiceListing" SET zip_code = '78701' WHERE id = 3""")
    database.execute("""UPDATE "ServiceListing" SET title = 'Renamed' WHERE id = 4""")
    located = _located(database)
    assert located[2] == DALLAS
    assert located[1] == (None, None)
    assert located[3] == AUSTIN
    assert located[4] == (None, None)


def test_great_circle_miles_between_known_cities(head_db):
    # Dallas city hall to Austin's capitol: 182 miles as the crow flies.
    [(miles,)] = head_db.execute("SELECT great_circle_miles(32.7767, -96.7970, 30.2747, -97.7404)")
    assert miles == pytest.approx(182, rel=0.01)
    [(zero, antipodes)] = head_db.execute(
        "SELECT great_circle_miles(10, 20, 10, 20), great_circle_miles(0, 0, 0, 180)"
    )
    assert zero == 0 and antipodes == pytest.approx(3958.8 * 3.141592653589793)


def test_up_down_up_keeps_every_listing_and_locates_them_again(scratch_db):
    database = scratch_db()
    database.upgrade(BEFORE)
    database.execute(EXISTING)
    listings = 'SELECT id, title, zip_code, status FROM "ServiceListing" ORDER BY id'
    before = database.execute(listings)

    database.upgrade(REVISION)
    database.execute("""UPDATE "ServiceListing" SET zip_code = '78701' WHERE id = 1""")
    after = database.execute(listings)
    assert after == [(1, "Dallas", "78701", "active"), *before[1:]]

    database.downgrade(BEFORE)
    assert database.execute(listings) == after
    assert database.execute("SELECT to_regclass('\"ZipCentroid\"')") == [(None,)]
    assert database.execute(
        """SELECT count(*) FROM information_schema.columns
           WHERE table_name = 'ServiceListing' AND column_name IN ('latitude', 'longitude')"""
    ) == [(0,)]
    assert database.execute(
        """SELECT count(*) FROM pg_proc WHERE proname IN ('great_circle_miles', 'service_listing_locate')"""
    ) == [(0,)]
    # Written while the revision was down, so no trigger saw it: the next upgrade locates it anyway.
    database.execute("""UPDATE "ServiceListing" SET zip_code = '75201' WHERE id = 2""")

    database.upgrade(REVISION)
    assert database.execute(listings) == [after[0], (2, "Austin", "75201", "active"), *after[2:]]
    located = _located(database)
    assert located[1] == AUSTIN and located[2] == DALLAS
