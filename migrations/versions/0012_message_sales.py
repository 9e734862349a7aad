"""message_sales: a message can carry a recorded sale (the deal card in a conversation).

Revision ID: 0012_message_sales
Revises: 0011_marketplace_sales
Create Date: 2026-11-27

- "Message".marketplace_transaction_id INTEGER NULL: the sale a message announces ("Recorded a sale: …",
  "Invoice SA-M002 issued", "Sale marked completed"). Adding a nullable column without a default is a catalog
  change only (no table rewrite), under a brief exclusive lock bounded by lock_timeout.
- "Message_marketplace_transaction_id_fkey" → "MarketplaceTransaction"(id) ON DELETE SET NULL (deleting a sale
  keeps the conversation). Added NOT VALID in the DDL transaction (no scan), then validated outside it
  (VALIDATE CONSTRAINT scans without blocking writes; the new column is all NULL, so nothing can fail).
- "Message_marketplace_transaction_id_idx" over the messages that carry a sale (WHERE NOT NULL): finds a sale's
  conversation, and serves the ON DELETE SET NULL. "Message" is the largest table: built CONCURRENTLY, after
  dropping a leftover invalid index from an interrupted build.
Every statement can run again after a failure in the non-transactional part.
"""

from alembic import op

from app.preflight import DanglingReference, Lock, Online

revision = "0012_message_sales"
down_revision = "0011_marketplace_sales"
branch_labels = None
depends_on = None

COLUMN = "marketplace_transaction_id"
CONSTRAINT = "Message_marketplace_transaction_id_fkey"
INDEX = "Message_marketplace_transaction_id_idx"
INDEX_DEFINITION = f'ON "Message" ({COLUMN}) WHERE {COLUMN} IS NOT NULL'

# The column is new, so only a re-run after a half-finished upgrade can meet values the key refuses.
PREFLIGHT = [
    DanglingReference("Message", COLUMN, "MarketplaceTransaction", CONSTRAINT),
    Lock("Message", f"ADD COLUMN {COLUMN} (catalog only), ADD CONSTRAINT {CONSTRAINT} NOT VALID"),
    Lock("MarketplaceTransaction", f"{CONSTRAINT} NOT VALID referencing it", mode="SHARE ROW EXCLUSIVE"),
    Online("Message", f"VALIDATE CONSTRAINT {CONSTRAINT}, {INDEX} built CONCURRENTLY"),
]


def upgrade():
    op.execute(f'ALTER TABLE "Message" ADD COLUMN IF NOT EXISTS {COLUMN} INTEGER')
    op.execute(
        f'ALTER TABLE "Message" DROP CONSTRAINT IF EXISTS "{CONSTRAINT}", '
        f'ADD CONSTRAINT "{CONSTRAINT}" FOREIGN KEY ({COLUMN}) '
        'REFERENCES "MarketplaceTransaction"(id) ON DELETE SET NULL NOT VALID'
    )
    with op.get_context().autocommit_block():
        op.execute(f'ALTER TABLE "Message" VALIDATE CONSTRAINT "{CONSTRAINT}"')
        op.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{INDEX}"')
        op.execute(f'CREATE INDEX CONCURRENTLY "{INDEX}" {INDEX_DEFINITION}')


def downgrade():
    # Plain DROP statements: a whole downgrade runs in one transaction (see migrations/env.py). Dropping the
    # column drops its index and foreign key too; they are named for clarity.
    op.execute(f'DROP INDEX IF EXISTS "{INDEX}"')
    op.execute(f'ALTER TABLE "Message" DROP CONSTRAINT IF EXISTS "{CONSTRAINT}"')
    op.execute(f'ALTER TABLE "Message" DROP COLUMN IF EXISTS {COLUMN}')
