"""Stage 3: published service listings from the heavy seller and the other providers, at real ZIP codes (the
database places each at its ZIP's centroid and builds its search vector, by its own triggers)."""

from __future__ import annotations

import random
from collections.abc import Iterator

import psycopg

from app.scale_seed import words
from app.scale_seed.accounts import DOMAIN, HEAVY_SELLER_EMAIL
from app.scale_seed.loader import NULL, Clock, Stage, text_array
from app.scale_seed.plan import LISTINGS_PER_PROVIDER, SeedPlan
from marketplace.catalog import US_STATES
from models.location import ZIP5_SQL

LABEL = "listings"
TABLES = ("ServiceListing",)
TWO_YEARS = 2 * 365 * 86_400
BROAD_PER_MILLE = dict(words.BREED_WEIGHTS)[words.BROAD_BREED]
# The database parses every listing's text into its search vector (to_tsvector, about 1 MB/s on one busy
# core): most of this stage's time, so descriptions stay short, as most real ones are.
EXTRA_SHARE = 0.3
SERVICE_AREAS = (0, 10, 25, 25, 50, 50, 100, 250)
COLUMNS = (
    "provider_user_id", "title", "description", "category", "price_cents", "price_type", "currency", "city",
    "state", "zip_code", "service_area_miles", "status", "tags", "created_at", "updated_at", "published_at",
)  # fmt: skip


# The two BEFORE INSERT triggers cost nearly all of a row-by-row load (to_tsvector parses the text at about
# 1 MB/s on a busy core; the ZIP lookup runs a query per row). So the rows are staged, their search vectors and
# coordinates worked out once for all by the very functions the triggers call, in a parallel query, and inserted
# with those triggers off: the columns hold what the triggers would have written (the tests compare them).
TRIGGERS = {"ServiceListing": ("ServiceListing_search_vector_refresh", "service_listing_locate_insert")}
STAGED = "scale_seed_listing_rows"
DERIVED_TABLE = "scale_seed_listing_derived"
DERIVED = ("search_vector", "latitude", "longitude")
DERIVE = f"""
CREATE UNLOGGED TABLE {DERIVED_TABLE} AS
SELECT s.id, listing_search_document(s.title::text, s.tags, s.description, s.category::text) AS search_vector,
       z.latitude, z.longitude
FROM {STAGED} s LEFT JOIN "ZipCentroid" z ON z.zip_code = {ZIP5_SQL.format(column="s.zip_code")}
"""  # noqa: S608 - this module's constants
_STAGED_COLUMNS = ", ".join(f"s.{column}" for column in ("id", *COLUMNS))
_DERIVED_COLUMNS = ", ".join(f"d.{column}" for column in DERIVED)
INSERT = f"""
INSERT INTO "ServiceListing" ({", ".join(("id", *COLUMNS, *DERIVED))})
SELECT {_STAGED_COLUMNS}, {_DERIVED_COLUMNS} FROM {STAGED} s JOIN {DERIVED_TABLE} d ON d.id = s.id ORDER BY s.id
"""  # noqa: S608 - this module's constants
PARALLEL_SETTINGS = {
    "max_parallel_workers_per_gather": "3",
    "parallel_setup_cost": "0",
    "parallel_tuple_cost": "0",
    "min_parallel_table_scan_size": "0",
}


def rows(plan: SeedPlan) -> dict[str, int]:
    return {"ServiceListing": plan.listings}


def heavy_seller_id(conn: psycopg.Connection) -> int | None:
    row = conn.execute('SELECT id FROM "MarketplaceUser" WHERE email = %s', (HEAVY_SELLER_EMAIL,)).fetchone()
    return None if row is None else row[0]


def loaded(conn: psycopg.Connection) -> bool:
    seller = heavy_seller_id(conn)
    return seller is not None and (
        conn.execute(
            'SELECT 1 FROM "ServiceListing" WHERE provider_user_id = %s LIMIT 1', (seller,)
        ).fetchone()
        is not None
    )


def mismatch(conn: psycopg.Connection, plan: SeedPlan) -> str | None:
    count = conn.execute(
        'SELECT count(*) FROM "ServiceListing" l JOIN "MarketplaceUser" u ON u.id = l.provider_user_id '
        "WHERE u.email LIKE %s",
        (f"%@{DOMAIN}",),
    ).fetchone()[0]  # type: ignore[index]
    if count != plan.listings:
        return f"the database already holds {count:,} scale listings, not {plan.listings:,}"
    return None


def is_broad_match(index: int) -> bool:
    """Exactly BROAD_PER_MILLE in every 1,000 consecutive listings, evenly spaced."""
    return (index * BROAD_PER_MILLE) // 1000 != ((index + 1) * BROAD_PER_MILLE) // 1000


def _breeds() -> list[str]:
    return [
        breed for breed, weight in words.BREED_WEIGHTS if breed != words.BROAD_BREED for _ in range(weight)
    ]


def _providers(conn: psycopg.Connection) -> list[int]:
    return [
        row[0]
        for row in conn.execute(
            'SELECT id FROM "MarketplaceUser" WHERE email LIKE %s ORDER BY id', (f"provider-%@{DOMAIN}",)
        )
    ]


def _places(conn: psycopg.Connection) -> list[tuple[str, str, str]]:
    return conn.execute(
        'SELECT zip_code, coalesce(city, state), state FROM "ZipCentroid" WHERE state = ANY(%s) ORDER BY zip_code',
        (list(US_STATES),),
    ).fetchall()


def load(stage: Stage, plan: SeedPlan, clock: Clock, password_hash: str) -> None:
    seller = heavy_seller_id(stage.conn)
    assert seller is not None
    first_id = stage.reserve_ids("ServiceListing", plan.listings)
    lines = _lines(plan, clock, seller, _providers(stage.conn), _places(stage.conn))
    conn = stage.conn
    # Made and dropped inside the stage's transaction: a failure leaves nothing behind.
    conn.execute(f'CREATE UNLOGGED TABLE {STAGED} (LIKE "ServiceListing")')
    stage.copy(STAGED, ("id", *COLUMNS), (f"{first_id + index}\t{line}" for index, line in enumerate(lines)))
    conn.execute(f"ANALYZE {STAGED}")
    if stage.bar is not None:
        stage.bar.set_description(f"{LABEL} (search vectors)")
    for setting, value in PARALLEL_SETTINGS.items():
        conn.execute("SELECT set_config(%s, %s, true)", (setting, value))
    conn.execute(DERIVE)
    conn.execute(INSERT)
    conn.execute(f"DROP TABLE {STAGED}, {DERIVED_TABLE}")
    stage.rows = {"ServiceListing": plan.listings}


def _lines(
    plan: SeedPlan, clock: Clock, seller: int, providers: list[int], places: list[tuple[str, str, str]]
) -> Iterator[str]:
    rng = random.Random(3)
    breeds = _breeds()
    categories = list(words.CATEGORY_COPY.items())
    for index in range(plan.listings):
        if index < plan.heavy_seller_listings:
            provider = seller
        else:
            provider = providers[(index - plan.heavy_seller_listings) // LISTINGS_PER_PROVIDER]
        if index % words.NARROW_EVERY == 7:
            breed = words.NARROW_BREED
        elif is_broad_match(index):
            breed = words.BROAD_BREED
        else:
            breed = breeds[rng.randrange(len(breeds))]
        category, (titles, opening, tag_words, price_types, (low, high)) = categories[rng.randrange(10)]
        zip_code, city, state = places[rng.randrange(len(places))]
        adjective = words.ADJECTIVES[rng.randrange(len(words.ADJECTIVES))]
        title = titles[rng.randrange(3)].format(breed=breed, city=city, adjective=adjective)
        miles = SERVICE_AREAS[rng.randrange(len(SERVICE_AREAS))]
        where = (
            f"Based in {city}, {state}; we travel up to {miles} miles."
            if miles
            else f"Clients come to us in {city}, {state}."
        )
        description = f"{opening.format(breed=breed)} {where}"
        if rng.random() < EXTRA_SHARE:
            description += " " + words.EXTRA_SENTENCES[rng.randrange(len(words.EXTRA_SENTENCES))]
        first_tag = rng.randrange(4)
        tags = text_array(
            (breed.lower(), tag_words[first_tag], tag_words[(first_tag + 1 + rng.randrange(3)) % 4])
        )
        price_type = price_types[rng.randrange(len(price_types))]
        price = NULL if price_type == "quote" else str(rng.randint(low, high) * 100)
        published_ago = rng.randrange(TWO_YEARS)
        published = clock.ago(published_ago)
        created = clock.ago(published_ago + rng.randrange(3 * 86_400))
        yield (
            f"{provider}\t{title}\t{description}\t{category}\t{price}\t{price_type}\tUSD\t{city}\t{state}\t"
            f"{zip_code}\t{miles}\tactive\t{tags}\t{created}\t{published}\t{published}\n"
        )
