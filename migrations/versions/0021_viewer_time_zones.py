"""viewer_time_zones: each portal contact and marketplace user may have an IANA time zone for the times they read.

Revision ID: 0021_viewer_time_zones
Revises: 0020_message_idempotency
Create Date: 2026-11-27

- "Contact"."timeZone" (the customer's camelCase) and "MarketplaceUser".time_zone, VARCHAR(64), NULL meaning
  "not known yet": pages then show UTC and say so. The sign-in form sends the browser's zone, which is stored
  on the first sign-in that has one; the app accepts only names in the IANA database (zoneinfo), which a CHECK
  cannot know, so the database bounds only the length.
Nullable columns without a default: catalog-only, no rewrite and no scan on either table.
"""

from alembic import op

from app.preflight import Lock

revision = "0021_viewer_time_zones"
down_revision = "0020_message_idempotency"
branch_labels = None
depends_on = None

PREFLIGHT = [
    Lock("Contact", 'ADD COLUMN "timeZone" (nullable, no default): catalog only'),
    Lock("MarketplaceUser", "ADD COLUMN time_zone (nullable, no default): catalog only"),
]


def upgrade():
    op.execute('ALTER TABLE "Contact" ADD COLUMN IF NOT EXISTS "timeZone" VARCHAR(64)')
    op.execute('ALTER TABLE "MarketplaceUser" ADD COLUMN IF NOT EXISTS time_zone VARCHAR(64)')


def downgrade():
    op.execute('ALTER TABLE "MarketplaceUser" DROP COLUMN IF EXISTS time_zone')
    op.execute('ALTER TABLE "Contact" DROP COLUMN IF EXISTS "timeZone"')
