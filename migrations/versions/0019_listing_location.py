"""listing_location: ZIP code centroids, and every listing's coordinates, for "near me" search.

Revision ID: 0019_listing_location
Revises: 0018_sign_in_sessions_two_factor
Create Date: 2026-11-28

- "ZipCentroid" (zip_code VARCHAR(5) PRIMARY KEY, latitude, longitude DOUBLE PRECISION, city, state), filled here
  from the `zipcodes` package (~41,900 rows, one INSERT ... SELECT FROM unnest, no network): every database at
  this revision can answer "near 75201". `flask --app wsgi marketplace load-zip-centroids` refreshes it after an
  upgrade of the package. A new table: nothing else is locked while it loads.
- great_circle_miles(lat1, lon1, lat2, lon2): haversine on a sphere of the mean earth radius, an inlinable SQL
  function (neither cube/earthdistance nor PostGIS ships with the embedded PostgreSQL 18, so plain math).
- "ServiceListing".latitude and .longitude, DOUBLE PRECISION NULL: ADD COLUMN without a default changes only the
  catalog (a brief ACCESS EXCLUSIVE lock, no rewrite).
- service_listing_locate(): BEFORE INSERT, and BEFORE UPDATE OF zip_code when it changes, the row takes its ZIP's
  centroid (NULL for a ZIP not in the table), whoever writes (this app, the customer's Prisma app, psql).
- The backfill runs after the triggers exist and outside the DDL transaction, in committed batches of 10,000 ids
  (models.location.locate_listings): no long transaction, and no listing written meanwhile is missed (the
  trigger sets it). On the 1,000,000-listing bench (PostgreSQL 15, a busy 2-core machine) the whole revision
  took 14 minutes, nearly all of it these updates (every index of the table takes the new row versions).
- "ServiceListing_location_idx": btree (latitude, longitude) INCLUDE (id, category, provider_user_id,
  service_area_miles) over active listings, built CONCURRENTLY after dropping a leftover invalid one.
Every statement can run again after a failure in the non-transactional part. An offline script (`db upgrade
--sql`) carries the centroids as INSERT statements and places the listings in one UPDATE.
"""

from alembic import context, op
from sqlalchemy import text

from app.preflight import Lock, Online
from models.location import (
    GREAT_CIRCLE_FUNCTION,
    LISTING_LOCATION_FUNCTION,
    LISTING_LOCATION_TRIGGERS,
    LOCATE_LISTINGS_BATCH,
    ZipCentroid,
    centroid_rows,
    load_centroids,
    locate_listings,
)
from models.types import INT4_MAX

revision = "0019_listing_location"
down_revision = "0018_sign_in_sessions_two_factor"
branch_labels = None
depends_on = None

INDEX = "ServiceListing_location_idx"
INDEX_DEFINITION = (
    'ON "ServiceListing" (latitude, longitude) INCLUDE (id, category, provider_user_id, service_area_miles) '
    "WHERE status::text = 'active'::text"
)

PREFLIGHT = [
    Lock("ServiceListing", "ADD COLUMN latitude, longitude (catalog only, no scan)"),
    Lock(
        "ServiceListing",
        "CREATE TRIGGER service_listing_locate_* (writes wait until the commit)",
        mode="SHARE ROW EXCLUSIVE",
    ),
    # The backfill between the two takes row locks only, 10,000 listings per committed batch.
    Online("ServiceListing", f"{INDEX} built CONCURRENTLY"),
]


def upgrade():
    op.execute(
        """
        CREATE TABLE IF NOT EXISTS "ZipCentroid" (
            zip_code VARCHAR(5) NOT NULL,
            latitude DOUBLE PRECISION NOT NULL,
            longitude DOUBLE PRECISION NOT NULL,
            city VARCHAR(100),
            state VARCHAR(2),
            CONSTRAINT "ZipCentroid_pkey" PRIMARY KEY (zip_code),
            CONSTRAINT "ZipCentroid_zip_code_check" CHECK (zip_code ~ '^[0-9]{5}$'),
            CONSTRAINT "ZipCentroid_latitude_check" CHECK (latitude >= -90 AND latitude <= 90),
            CONSTRAINT "ZipCentroid_longitude_check" CHECK (longitude >= -180 AND longitude <= 180)
        )
        """
    )
    offline = context.is_offline_mode()
    if offline:  # `db upgrade --sql`: the rows as INSERT statements in the script
        columns = ("zip_code", "latitude", "longitude", "city", "state")
        op.bulk_insert(
            ZipCentroid.__table__, [dict(zip(columns, row, strict=True)) for row in centroid_rows()]
        )
    else:
        load_centroids(op.get_bind())
    op.execute(GREAT_CIRCLE_FUNCTION)
    op.execute(
        'ALTER TABLE "ServiceListing" ADD COLUMN IF NOT EXISTS latitude DOUBLE PRECISION, '
        "ADD COLUMN IF NOT EXISTS longitude DOUBLE PRECISION"
    )
    op.execute(LISTING_LOCATION_FUNCTION)
    for name, definition in LISTING_LOCATION_TRIGGERS.items():
        op.execute(f'DROP TRIGGER IF EXISTS {name} ON "ServiceListing"')
        op.execute(f"CREATE TRIGGER {name} {definition} EXECUTE FUNCTION service_listing_locate()")
    with op.get_context().autocommit_block():
        if offline:  # no rows to batch by in a script: one statement over every id
            op.execute(text(LOCATE_LISTINGS_BATCH).bindparams(first_id=0, next_id=INT4_MAX + 1))
        else:
            locate_listings(op.get_bind())
        op.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{INDEX}"')
        op.execute(f'CREATE INDEX CONCURRENTLY "{INDEX}" {INDEX_DEFINITION}')


def downgrade():
    # Plain DROP statements: a whole downgrade runs in one transaction (see migrations/env.py). The listings keep
    # their ZIP codes; coordinates are derived, and the next upgrade computes them again.
    op.execute(f'DROP INDEX IF EXISTS "{INDEX}"')
    for name in LISTING_LOCATION_TRIGGERS:
        op.execute(f'DROP TRIGGER IF EXISTS {name} ON "ServiceListing"')
    op.execute("DROP FUNCTION IF EXISTS service_listing_locate()")
    op.execute('ALTER TABLE "ServiceListing" DROP COLUMN IF EXISTS latitude, DROP COLUMN IF EXISTS longitude')
    op.execute(
        "DROP FUNCTION IF EXISTS great_circle_miles(double precision, double precision, "
        "double precision, double precision)"
    )
    op.execute('DROP TABLE IF EXISTS "ZipCentroid"')
