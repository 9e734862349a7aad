"""Revision 0020: a message's form key; up, down and up again keep every message, and one key per thread and
sender holds in the database."""

from __future__ import annotations

import psycopg
import pytest

from tests.schema.conftest import ScratchDatabase

BEFORE = "0019_listing_location"
REVISION = "0020_message_idempotency"

EXISTING = """
INSERT INTO "MarketplaceUser" (id, email, password_hash, updated_at) VALUES
  (1, 'buyer@example.com', 'x', now()), (2, 'seller@example.com', 'x', now());
INSERT INTO "MessageThread" (id, buyer_user_id, seller_user_id) VALUES (1, 1, 2), (2, 1, 2);
INSERT INTO "Message" (id, thread_id, sender_user_id, message_text) VALUES
  (1, 1, 1, 'Is Saturday free?'), (2, 1, 2, 'Yes.'), (3, 1, 2, 'Yes.');
"""


def _messages(database: ScratchDatabase) -> list[tuple]:
    return database.execute('SELECT id, thread_id, sender_user_id, message_text FROM "Message" ORDER BY id')


def _column(database: ScratchDatabase) -> list[tuple]:
    return database.execute(
        """SELECT is_nullable, data_type, character_maximum_length FROM information_schema.columns
           WHERE table_name = 'Message' AND column_name = 'idempotency_key'"""
    )


def test_up_down_up_keeps_messages_and_one_key_per_thread_and_sender(scratch_db):
    database = scratch_db()
    database.upgrade(BEFORE)
    database.execute(EXISTING)
    before = _messages(database)

    database.upgrade(REVISION)
    assert _column(database) == [("YES", "character varying", 64)]
    assert _messages(database) == before
    assert database.execute(
        """SELECT indisunique, indisvalid, pg_get_expr(indpred, indrelid) FROM pg_index
           WHERE indexrelid = '"Message_thread_id_sender_user_id_idempotency_key_key"'::regclass"""
    ) == [(True, True, "(idempotency_key IS NOT NULL)")]
    # The same key: refused twice from one sender in one thread; fine from the other sender or in another thread.
    database.execute(
        """INSERT INTO "Message" (id, thread_id, sender_user_id, message_text, idempotency_key) VALUES
           (4, 1, 1, 'Ten?', 'k'), (5, 1, 2, 'Ten.', 'k'), (6, 2, 1, 'Elsewhere', 'k')"""
    )
    with pytest.raises(psycopg.errors.UniqueViolation):
        database.execute(
            """INSERT INTO "Message" (thread_id, sender_user_id, message_text, idempotency_key)
               VALUES (1, 1, 'Ten?', 'k')"""
        )
    with_keys = _messages(database)

    database.downgrade(BEFORE)
    assert _column(database) == []
    assert _messages(database) == with_keys

    database.upgrade(REVISION)
    assert _messages(database) == with_keys
    assert database.execute('SELECT count(*) FROM "Message" WHERE idempotency_key IS NOT NULL') == [(0,)]
