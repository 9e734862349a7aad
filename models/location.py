"""Where things are: US ZIP code centroids and the great-circle distance between two points (revision 0019).

"ZipCentroid" holds one row per five-digit ZIP code, loaded from the `zipcodes` package (which ships the data
offline: coordinates from GeoNames, CC BY 4.0; see docs/schema-notes.md). ServiceListing.latitude and
.longitude are that listing's ZIP centroid, set by the database itself (the trigger below, whoever writes).
"""

from __future__ import annotations

from sqlalchemy import DDL, CheckConstraint, Connection, Double, String, event, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base

EARTH_RADIUS_MILES = 3958.8  # the mean radius (IUGG); the sphere is within 0.5% of the ellipsoid anywhere

# Haversine, with the root clamped at 1: rounding can push it a hair above 1 for antipodal points, and asin
# would raise. LANGUAGE sql, IMMUTABLE and not STRICT, so PostgreSQL inlines it into the query like plain math.
GREAT_CIRCLE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION great_circle_miles(lat1 double precision, lon1 double precision,
                                              lat2 double precision, lon2 double precision)
RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT 2 * {EARTH_RADIUS_MILES} * asin(least(1, sqrt(
           sin(radians(lat2 - lat1) / 2) ^ 2
           + cos(radians(lat1)) * cos(radians(lat2)) * sin(radians(lon2 - lon1) / 2) ^ 2)))
$$
"""

# The five digits a ZIP (or ZIP+4, "75201-1234") starts with, or NULL: the key into "ZipCentroid".
ZIP5_SQL = r"substring(btrim({column}) from '^(\d{{5}})(?:$|[- ]\d{{4}}$)')"

# A listing's coordinates follow its ZIP code, on INSERT and whenever zip_code changes (an unknown ZIP: NULL).
LISTING_LOCATION_FUNCTION = f"""
CREATE OR REPLACE FUNCTION service_listing_locate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT z.latitude, z.longitude INTO NEW.latitude, NEW.longitude
  FROM "ZipCentroid" z WHERE z.zip_code = {ZIP5_SQL.format(column="NEW.zip_code")};
  IF NOT FOUND THEN
    NEW.latitude := NULL;
    NEW.longitude := NULL;
  END IF;
  RETURN NEW;
END
$$
"""  # noqa: S608 (put together from this module's constants, never from input)
LISTING_LOCATION_TRIGGERS = {
    "service_listing_locate_insert": 'BEFORE INSERT ON "ServiceListing" FOR EACH ROW',
    "service_listing_locate_update": (
        'BEFORE UPDATE OF zip_code ON "ServiceListing" FOR EACH ROW '
        "WHEN (OLD.zip_code IS DISTINCT FROM NEW.zip_code)"
    ),
}


class ZipCentroid(Base):
    """The centre of one US ZIP code area, for "near me" searches."""

    __tablename__ = "ZipCentroid"
    __table_args__ = (
        CheckConstraint("zip_code ~ '^[0-9]{5}$'", name="zip_code"),
        CheckConstraint("latitude >= -90 AND latitude <= 90", name="latitude"),
        CheckConstraint("longitude >= -180 AND longitude <= 180", name="longitude"),
    )

    zip_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    latitude: Mapped[float] = mapped_column(Double)
    longitude: Mapped[float] = mapped_column(Double)
    city: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str | None] = mapped_column(String(2))


# Declared here too so a schema built from the models alone (a yardstick in tests) has them; migrations stay the
# source of truth.
event.listen(ZipCentroid.__table__, "after_create", DDL(GREAT_CIRCLE_FUNCTION))


LOAD_CENTROIDS = """
INSERT INTO "ZipCentroid" (zip_code, latitude, longitude, city, state)
SELECT * FROM unnest(CAST(:zip_codes AS varchar[]), CAST(:latitudes AS double precision[]),
                     CAST(:longitudes AS double precision[]), CAST(:cities AS varchar[]), CAST(:states AS varchar[]))
ON CONFLICT (zip_code) DO UPDATE
SET latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude, city = EXCLUDED.city, state = EXCLUDED.state
WHERE ("ZipCentroid".latitude, "ZipCentroid".longitude, "ZipCentroid".city, "ZipCentroid".state)
      IS DISTINCT FROM (EXCLUDED.latitude, EXCLUDED.longitude, EXCLUDED.city, EXCLUDED.state)
"""

# One batch of listings by id range: coordinates from their ZIP's centroid, where they differ (so a second run,
# or a run after the centroids were refreshed, writes only what changed).
LOCATE_LISTINGS_BATCH = f"""
UPDATE "ServiceListing" l SET latitude = z.latitude, longitude = z.longitude
FROM "ZipCentroid" z
WHERE l.id >= :first_id AND l.id < :next_id
  AND z.zip_code = {ZIP5_SQL.format(column="l.zip_code")}
  AND (l.latitude, l.longitude) IS DISTINCT FROM (z.latitude, z.longitude)
"""  # noqa: S608 (put together from this module's constants, never from input)
LOCATE_BATCH_SIZE = 10_000


def centroid_rows() -> list[tuple[str, float, float, str | None, str | None]]:
    """Every five-digit ZIP code the `zipcodes` package places, with its centroid, city and state."""
    import zipcodes  # loads its embedded data set on first use (~1 s), so only when asked

    rows = []
    for entry in zipcodes.list_all():
        code, latitude, longitude = entry["zip_code"], float(entry["lat"]), float(entry["long"])
        # 872 entries (military APO/FPO codes, a few agencies' unique ZIPs) sit at exactly (0, 0), in the Gulf
        # of Guinea: they have no place, so they are left out, like a ZIP that does not exist.
        placed = (latitude, longitude) != (0.0, 0.0) and abs(latitude) <= 90 and abs(longitude) <= 180
        if len(code) == 5 and code.isascii() and code.isdigit() and placed:
            rows.append((code, latitude, longitude, entry["city"][:100] or None, entry["state"][:2] or None))
    return rows


def load_centroids(connection: Connection) -> int:
    """Insert or update every centroid from the package, in one statement; the number of rows it changed."""
    zip_codes, latitudes, longitudes, cities, states = (
        list(column) for column in zip(*centroid_rows(), strict=True)
    )
    result = connection.execute(
        text(LOAD_CENTROIDS),
        {
            "zip_codes": zip_codes,
            "latitudes": latitudes,
            "longitudes": longitudes,
            "cities": cities,
            "states": states,
        },
    )
    return result.rowcount


def locate_listings(run: Connection | Session, batch_size: int = LOCATE_BATCH_SIZE) -> int:
    """Give every listing its ZIP's coordinates, a batch of ids per statement, each batch committed on its own:
    an Alembic autocommit_block's connection commits every statement, a Session is committed here. So no
    transaction holds row locks on more than `batch_size` listings; the trigger keeps rows written meanwhile
    right."""
    first, last = run.execute(text('SELECT min(id), max(id) FROM "ServiceListing"')).one()
    updated = 0
    for first_id in range(first or 0, (last or -1) + 1, batch_size):
        # The bounds are computed here: psycopg sends a small int as smallint, and smallint + smallint overflows.
        bounds = {"first_id": first_id, "next_id": first_id + batch_size}
        result = run.execute(text(LOCATE_LISTINGS_BATCH), bounds)
        updated += result.rowcount
        if isinstance(run, Session):
            run.commit()
    return updated
