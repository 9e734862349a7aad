"""message_idempotency: a message form's idempotency key, so a retried send stores one message.

Revision ID: 0020_message_idempotency
Revises: 0019_listing_location
Create Date: 2026-11-27

- "Message".idempotency_key VARCHAR(64) NULL: the key of the form that sent the message (a new one each time a
  reply or "Message the seller" form is rendered). NULL for messages written before, by the app itself (deal
  cards) or by the customer's own app. A nullable column without a default is a catalog change only.
- "Message_thread_id_sender_user_id_idempotency_key_key": UNIQUE (thread_id, sender_user_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL. A form posted twice (a retry after a dropped answer, a double click, 25 at
  once) stores one message; the same key in another thread or from another sender is another message.
  "Message" is the largest table: built CONCURRENTLY, after dropping a leftover invalid index from an
  interrupted build. The new column is all NULL, so the build cannot meet duplicates.
Every statement can run again after a failure in the non-transactional part.
"""

from alembic import op

from app.preflight import Lock, Online

revision = "0020_message_idempotency"
down_revision = "0019_listing_location"
branch_labels = None
depends_on = None

COLUMN = "idempotency_key"
INDEX = "Message_thread_id_sender_user_id_idempotency_key_key"
INDEX_DEFINITION = f'ON "Message" (thread_id, sender_user_id, {COLUMN}) WHERE {COLUMN} IS NOT NULL'

PREFLIGHT = [
    Lock("Message", f"ADD COLUMN {COLUMN} (catalog only)"),
    Online("Message", f"{INDEX} built CONCURRENTLY"),
]


def upgrade():
    op.execute(f'ALTER TABLE "Message" ADD COLUMN IF NOT EXISTS {COLUMN} VARCHAR(64)')
    with op.get_context().autocommit_block():
        op.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{INDEX}"')
        op.execute(f'CREATE UNIQUE INDEX CONCURRENTLY "{INDEX}" {INDEX_DEFINITION}')


def downgrade():
    # The keys only matter while a form can still be retried; the messages themselves stay.
    op.execute(f'DROP INDEX IF EXISTS "{INDEX}"')
    op.execute(f'ALTER TABLE "Message" DROP COLUMN IF EXISTS {COLUMN}')
