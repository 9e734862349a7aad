"""Revision 0009 counts the unread messages already in the database, and its downgrade removes every trace."""

from __future__ import annotations

from tests.schema.conftest import ScratchDatabase

BEFORE = "0008_listing_facets"
REVISION = "0009_thread_unread_counts"

# Users 1 (buyer) and 2 (seller) in thread 1; 3 buys in thread 2; thread 3 has no messages; 4 is neither.
EXISTING_CONVERSATIONS = """
INSERT INTO "MarketplaceUser" (id, email, password_hash, updated_at) VALUES
  (1, 'buyer@example.com', 'x', now()), (2, 'seller@example.com', 'x', now()),
  (3, 'other@example.com', 'x', now()), (4, 'support@example.com', 'x', now());
INSERT INTO "MessageThread" (id, buyer_user_id, seller_user_id) VALUES (1, 1, 2), (2, 3, 2), (3, 1, 2);
INSERT INTO "Message" (thread_id, sender_user_id, message_text, read_at) VALUES
  (1, 1, 'unread by the seller', NULL), (1, 1, 'also unread by the seller', NULL),
  (1, 1, 'read by the seller', now()), (1, 2, 'unread by the buyer', NULL),
  (1, 4, 'from neither: unread for both', NULL),
  (2, 2, 'read by the buyer', now()), (2, 3, 'unread by the seller', NULL);
"""


def _counters(database: ScratchDatabase) -> list[tuple[int, int, int]]:
    return database.execute(
        'SELECT id, buyer_unread_count, seller_unread_count FROM "MessageThread" ORDER BY id'
    )


def _objects(database: ScratchDatabase) -> list[tuple[str]]:
    return database.execute(
        """SELECT tgname::text FROM pg_trigger WHERE tgname LIKE 'message%unread%' OR tgname LIKE 'message_thread%'
           UNION ALL SELECT proname::text FROM pg_proc WHERE proname LIKE 'message_thread_unread%'
           UNION ALL SELECT indexrelid::regclass::text FROM pg_index
                     WHERE indexrelid::regclass::text LIKE '%MessageThread_%unread_idx%' ORDER BY 1"""
    )


def test_upgrade_counts_existing_unread_messages_for_each_side(scratch_db):
    database = scratch_db()
    database.upgrade(BEFORE)
    database.execute(EXISTING_CONVERSATIONS)

    database.upgrade(REVISION)

    assert _counters(database) == [(1, 2, 3), (2, 0, 1), (3, 0, 0)]
    # From here on the triggers keep them: a new message and a read.
    database.execute(
        """INSERT INTO "Message" (thread_id, sender_user_id, message_text) VALUES (3, 2, 'hi')"""
    )
    database.execute("""UPDATE "Message" SET read_at = now() WHERE thread_id = 1 AND sender_user_id = 1""")
    assert _counters(database) == [(1, 2, 1), (2, 0, 1), (3, 1, 0)]


def test_downgrade_removes_columns_triggers_functions_and_indexes_and_upgrade_recounts(scratch_db):
    database = scratch_db()
    database.upgrade(BEFORE)
    database.execute(EXISTING_CONVERSATIONS)
    database.upgrade(REVISION)
    assert len(_objects(database)) == 5 + 2 + 2  # triggers, functions, indexes

    database.downgrade(BEFORE)

    assert _objects(database) == []
    assert (
        database.execute(
            """SELECT column_name FROM information_schema.columns
           WHERE table_name = 'MessageThread' AND column_name LIKE '%unread%'"""
        )
        == []
    )
    # Written while the revision was down, so no trigger saw it: the next upgrade counts it anyway.
    database.execute(
        """INSERT INTO "Message" (thread_id, sender_user_id, message_text) VALUES (2, 2, 'hello')"""
    )
    database.upgrade(REVISION)
    assert _counters(database) == [(1, 2, 3), (2, 1, 1), (3, 0, 0)]
