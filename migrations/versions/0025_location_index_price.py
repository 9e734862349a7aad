"""location_index_price: the "near me" index carries the price too, so a near-me search with a price range never
reads the table for its counts or its page.

Revision ID: 0025_location_index_price
Revises: 0024_providers_not_in_standing
Create Date: 2026-11-27

ServiceListing_location_idx (revision 0019) answered the box, the category, the provider and "travel to me" from
the index alone, but not the price: a near-me search with a price range read the table row of every listing in
its box, 3,085 heap blocks for the capped count and 9,740 for the page near 75201 within 50 miles at 1,000,000
listings (docs/performance.md). ServiceListing_location_price_idx is the same index with price_cents included
(8 bytes more per active listing), so both are index-only scans.

ServiceListing exists and may be large and busy, so the new index is built CONCURRENTLY (in an autocommit block)
after dropping a leftover invalid one from an interrupted build, and only then is the old one dropped
CONCURRENTLY: near-me searches keep an index all along.
"""

from alembic import op

from app.preflight import Online

revision = "0025_location_index_price"
down_revision = "0024_providers_not_in_standing"
branch_labels = None
depends_on = None

NAME = "ServiceListing_location_price_idx"
DEFINITION = (
    'ON "ServiceListing" (latitude, longitude) '
    "INCLUDE (id, category, provider_user_id, service_area_miles, price_cents) WHERE status::text = 'active'::text"
)
OLD_NAME = "ServiceListing_location_idx"
OLD_DEFINITION = (
    'ON "ServiceListing" (latitude, longitude) INCLUDE (id, category, provider_user_id, service_area_miles) '
    "WHERE status::text = 'active'::text"
)
PREFLIGHT = [
    Online("ServiceListing", f"{NAME} built CONCURRENTLY"),
    Online("ServiceListing", f"{OLD_NAME} dropped CONCURRENTLY"),
]


def upgrade():
    with op.get_context().autocommit_block():
        op.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{NAME}"')
        op.execute(f'CREATE INDEX CONCURRENTLY "{NAME}" {DEFINITION}')
        op.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{OLD_NAME}"')


def downgrade():
    # Plain CREATE and DROP INDEX: a whole downgrade runs in one transaction (see migrations/env.py).
    op.execute(f'CREATE INDEX IF NOT EXISTS "{OLD_NAME}" {OLD_DEFINITION}')
    op.execute(f'DROP INDEX IF EXISTS "{NAME}"')
