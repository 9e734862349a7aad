"""message_notifications: when each recipient was last e-mailed about a thread (the e-mail rate limit).

Revision ID: 0007_message_notifications
Revises: 0006_listing_search
Create Date: 2026-11-26

A new, empty table: no lock on anything busy. Rows are small and bounded by (threads x 2).
The recipient index serves the ON DELETE CASCADE from MarketplaceUser.
"""

from alembic import op

from app.preflight import Lock

revision = "0007_message_notifications"
down_revision = "0006_listing_search"
branch_labels = None
depends_on = None

PREFLIGHT = [
    Lock(table, 'CREATE TABLE "MessageNotification" referencing it', mode="SHARE ROW EXCLUSIVE")
    for table in ("MessageThread", "MarketplaceUser")
]


def upgrade():
    op.execute(
        """
        CREATE TABLE "MessageNotification" (
            thread_id INTEGER NOT NULL,
            recipient_user_id INTEGER NOT NULL,
            last_sent_at TIMESTAMP NOT NULL,
            CONSTRAINT "MessageNotification_pkey" PRIMARY KEY (thread_id, recipient_user_id),
            CONSTRAINT "MessageNotification_thread_id_fkey" FOREIGN KEY (thread_id)
                REFERENCES "MessageThread"(id) ON DELETE CASCADE,
            CONSTRAINT "MessageNotification_recipient_user_id_fkey" FOREIGN KEY (recipient_user_id)
                REFERENCES "MarketplaceUser"(id) ON DELETE CASCADE
        )
        """
    )
    op.execute(
        'CREATE INDEX "MessageNotification_recipient_user_id_idx" ON "MessageNotification"(recipient_user_id)'
    )


def downgrade():
    op.execute('DROP TABLE "MessageNotification"')
