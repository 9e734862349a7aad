"""listing_facets: the listing browser's category counts read an index, not the table.

Revision ID: 0008_listing_facets
Revises: 0007_message_notifications
Create Date: 2026-11-26

- (state, price_type, price_cents, category, provider_user_id) over active listings: the counts per category
  for a state, a price type and a price range come from an index-only scan of the matching range, anti-joined
  to the few providers not in good standing (EXPLAIN on 1,000,000 listings: state TX 12 ms instead of 65 ms
  of index scan and heap visits; with no filter at all the spec's ServiceListing_active_idx serves instead).
  See marketplace/facets.py.
ServiceListing may be large and busy, so the index is built CONCURRENTLY (outside a transaction), after dropping
a leftover invalid index from an interrupted build.
"""

from alembic import op

from app.preflight import Online

revision = "0008_listing_facets"
down_revision = "0007_message_notifications"
branch_labels = None
depends_on = None

NAME = "ServiceListing_facets_idx"
DEFINITION = (
    'ON "ServiceListing" (state, price_type, price_cents, category, provider_user_id) '
    "WHERE status::text = 'active'::text"
)
PREFLIGHT = [Online("ServiceListing", f"{NAME} built CONCURRENTLY")]


def upgrade():
    with op.get_context().autocommit_block():
        op.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{NAME}"')
        op.execute(f'CREATE INDEX CONCURRENTLY "{NAME}" {DEFINITION}')


def downgrade():
    # Plain DROP INDEX: a whole downgrade runs in one transaction (see migrations/env.py).
    op.execute(f'DROP INDEX IF EXISTS "{NAME}"')
