"""message_attachments: files sent with a message (PDF, JPEG, PNG), readable by the thread's two participants.

Revision ID: 0015_message_attachments
Revises: 0014_provider_reviews
Create Date: 2026-12-02

- "MessageAttachment": one row per file, at most 5 per message (position 0..4, UNIQUE with the message), the
  sender's file name, the stored file's type (CHECK: application/pdf, image/jpeg, image/png), its size, where it
  is stored (app/storage.py; the bytes are not in the database), and for images a thumbnail's path and size.
  message_id → "Message"(id) ON DELETE CASCADE. A new, empty table: nothing is built concurrently.
Downgrade drops the table; the stored files stay where they are (delete attachments/ in the store by hand).
"""

from alembic import op

from app.preflight import Lock

revision = "0015_message_attachments"
down_revision = "0014_provider_reviews"
branch_labels = None
depends_on = None

# A new, empty table; its foreign key takes a brief lock on "Message" (no scan, nothing to check in its rows).
PREFLIGHT = [Lock("Message", 'CREATE TABLE "MessageAttachment" referencing it', mode="SHARE ROW EXCLUSIVE")]


def upgrade():
    op.execute(
        """
        CREATE TABLE IF NOT EXISTS "MessageAttachment" (
            id SERIAL,
            message_id INTEGER NOT NULL,
            position SMALLINT NOT NULL,
            file_name VARCHAR(255) NOT NULL,
            content_type VARCHAR(100) NOT NULL,
            size_bytes INTEGER NOT NULL,
            storage_path TEXT NOT NULL,
            thumbnail_path TEXT,
            thumbnail_width SMALLINT,
            thumbnail_height SMALLINT,
            created_at TIMESTAMP NOT NULL DEFAULT timezone('utc', now()),
            CONSTRAINT "MessageAttachment_pkey" PRIMARY KEY (id),
            CONSTRAINT "MessageAttachment_message_id_fkey" FOREIGN KEY (message_id)
                REFERENCES "Message"(id) ON DELETE CASCADE,
            CONSTRAINT "MessageAttachment_message_id_position_key" UNIQUE (message_id, position),
            CONSTRAINT "MessageAttachment_content_type_check"
                CHECK (content_type IN ('application/pdf', 'image/jpeg', 'image/png')),
            CONSTRAINT "MessageAttachment_position_check" CHECK (position >= 0 AND position < 5),
            CONSTRAINT "MessageAttachment_size_bytes_check" CHECK (size_bytes > 0),
            CONSTRAINT "MessageAttachment_thumbnail_check" CHECK (
                (thumbnail_path IS NULL) = (thumbnail_width IS NULL)
                AND (thumbnail_path IS NULL) = (thumbnail_height IS NULL)
            )
        )
        """
    )


def downgrade():
    op.execute('DROP TABLE IF EXISTS "MessageAttachment"')
