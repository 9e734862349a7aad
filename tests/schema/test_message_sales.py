"""Revision 0012: a message can carry a sale; up, down and up again keep every message, and the link behaves."""

from __future__ import annotations

import psycopg
import pytest

from tests.schema.conftest import ScratchDatabase

BEFORE = "0011_marketplace_sales"
REVISION = "0012_message_sales"

EXISTING = """
INSERT INTO "Tenant" (id, name, slug, "updatedAt") VALUES (1, 'Sunny Acres', 'sunny-acres', now());
INSERT INTO "MarketplaceUser" (id, email, password_hash, updated_at) VALUES
  (1, 'buyer@example.com', 'x', now()), (2, 'seller@example.com', 'x', now());
INSERT INTO "MessageThread" (id, buyer_user_id, seller_user_id) VALUES (1, 1, 2);
INSERT INTO "Message" (id, thread_id, sender_user_id, message_text) VALUES
  (1, 1, 1, 'Is Saturday free?'), (2, 1, 2, 'Yes.');
INSERT INTO "MarketplaceTransaction" (id, provider_tenant_id, service_description, amount_cents, transaction_date)
VALUES (1, 1, 'Stud service', 25000, '2026-11-27'), (2, 1, 'Grooming', 5000, '2026-11-27');
"""


def _messages(database: ScratchDatabase) -> list[tuple]:
    return database.execute('SELECT id, thread_id, sender_user_id, message_text FROM "Message" ORDER BY id')


def _column(database: ScratchDatabase) -> list[tuple]:
    return database.execute(
        """SELECT is_nullable, data_type FROM information_schema.columns
           WHERE table_name = 'Message' AND column_name = 'marketplace_transaction_id'"""
    )


def test_up_down_up_keeps_messages_and_the_link_sets_null_when_its_sale_goes(scratch_db):
    database = scratch_db()
    database.upgrade(BEFORE)
    database.execute(EXISTING)
    before = _messages(database)

    database.upgrade(REVISION)
    assert _column(database) == [("YES", "integer")]
    assert _messages(database) == before
    database.execute(
        """INSERT INTO "Message" (id, thread_id, sender_user_id, message_text, marketplace_transaction_id)
           VALUES (3, 1, 2, 'Recorded a sale: $250.00 — Stud service', 1), (4, 1, 2, 'Grooming too', 2)"""
    )
    # The foreign key is validated, and the partial index is valid and holds only messages with a sale.
    assert database.execute(
        """SELECT convalidated, confdeltype FROM pg_constraint
           WHERE conname = 'Message_marketplace_transaction_id_fkey'"""
    ) == [(True, "n")]
    assert database.execute(
        """SELECT indisvalid, pg_get_expr(indpred, indrelid) FROM pg_index
           WHERE indexrelid = '"Message_marketplace_transaction_id_idx"'::regclass"""
    ) == [(True, "(marketplace_transaction_id IS NOT NULL)")]
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        database.execute('UPDATE "Message" SET marketplace_transaction_id = 99 WHERE id = 1')
    database.execute('DELETE FROM "MarketplaceTransaction" WHERE id = 2')
    assert database.execute('SELECT marketplace_transaction_id FROM "Message" WHERE id = 4') == [(None,)]
    with_deal = _messages(database)

    database.downgrade(BEFORE)
    assert _column(database) == []
    assert _messages(database) == with_deal  # the announcements stay, as plain messages

    database.upgrade(REVISION)
    assert _column(database) == [("YES", "integer")]
    assert _messages(database) == with_deal
    assert database.execute(
        'SELECT count(*) FROM "Message" WHERE marketplace_transaction_id IS NOT NULL'
    ) == [(0,)]
