"""providers_not_in_standing: the few marketplace users not in good standing, for the listing browser.

Revision ID: 0024_providers_not_in_standing
Revises: 0023_payment_newest_first
Create Date: 2026-11-27

Every public listing query leaves out listings whose provider is suspended or banned, as a NOT EXISTS on
MarketplaceUser with `status <> 'active'` (marketplace.browse.conditions.public_listings). Without an index that
holds just those users, PostgreSQL answered it with a sequential scan of every user, up to three times per browse
statement: 14-17 ms each at 120,000 users, most of the front page's 59 ms (docs/performance.md). A partial index on
id over those few rows makes it an index-only scan of a handful of entries (under 0.1 ms). NULL status counts as
active (MarketplaceUser.in_good_standing), and `NULL <> 'active'` is not true, so the predicate leaves NULLs out as
the query does.

MarketplaceUser exists and may be large and busy (every sign-in reads it), so the index is built CONCURRENTLY (in an
autocommit block), after dropping a leftover invalid index from an interrupted build.
"""

from alembic import op

from app.preflight import Online

revision = "0024_providers_not_in_standing"
down_revision = "0023_payment_newest_first"
branch_labels = None
depends_on = None

NAME = "MarketplaceUser_not_in_good_standing_idx"
DEFINITION = """ON "MarketplaceUser"(id) WHERE status <> 'active'"""
PREFLIGHT = [Online("MarketplaceUser", f"{NAME} built CONCURRENTLY")]


def upgrade():
    with op.get_context().autocommit_block():
        op.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{NAME}"')
        op.execute(f'CREATE INDEX CONCURRENTLY "{NAME}" {DEFINITION}')


def downgrade():
    # Plain DROP INDEX: a whole downgrade runs in one transaction (see migrations/env.py).
    op.execute(f'DROP INDEX IF EXISTS "{NAME}"')
