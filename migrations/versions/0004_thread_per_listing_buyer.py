"""thread_per_listing_buyer: a second "Message the seller" reopens the existing conversation.

Revision ID: 0004_thread_per_listing_buyer
Revises: 0003_invoice_line_items
Create Date: 2026-11-26

Threads whose listing was deleted (listing_id NULL) are outside the rule, so the index is partial.
Built CONCURRENTLY: MessageThread may be large and busy by the time this runs.
"""

from alembic import op

from app.preflight import Duplicates, Online

revision = "0004_thread_per_listing_buyer"
down_revision = "0003_invoice_line_items"
branch_labels = None
depends_on = None

NAME = "MessageThread_listing_id_buyer_user_id_key"

# Clearing listing_id on the later threads keeps their messages (outside the rule, like a deleted listing's);
# merging them into the first is the other way, for a person to choose.
PREFLIGHT = [
    Duplicates("MessageThread", ("listing_id", "buyer_user_id"), NAME, clear="listing_id"),
    Online("MessageThread", f"{NAME} built CONCURRENTLY"),
]


def upgrade():
    with op.get_context().autocommit_block():
        op.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{NAME}"')
        op.execute(
            f'CREATE UNIQUE INDEX CONCURRENTLY "{NAME}" ON "MessageThread"(listing_id, buyer_user_id) '
            "WHERE listing_id IS NOT NULL"
        )


def downgrade():
    op.execute(f'DROP INDEX IF EXISTS "{NAME}"')
