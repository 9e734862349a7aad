"""thread_unread_counts: per-thread unread counters for each side, kept exact by triggers on "Message".

Revision ID: 0009_thread_unread_counts
Revises: 0008_listing_facets
Create Date: 2026-11-26

The navigation badge summed, over every thread of the user, the other person's messages with read_at IS NULL:
one Message_unread_idx probe per thread (17-80 ms for a seller with 6,000 threads on 10,000,000 messages).
Now each thread carries `buyer_unread_count` (messages not sent by the buyer and not read) and
`seller_unread_count` (likewise for the seller), and the badge reads two partial indexes holding only the threads
with something unread for that side.

- Statement-level AFTER triggers with transition tables (INSERT, UPDATE, DELETE; TRUNCATE zeroes) add the
  change per thread once per statement, whoever writes (this app, the customer's Prisma app, psql): marking
  1,000 messages read is one counter update, not 1,000. The UPDATE re-reads the locked row, so concurrent
  writers add up exactly.
- A BEFORE UPDATE trigger on "MessageThread" recounts a thread whose buyer or seller changes.
- The backfill runs in this revision's transaction after the triggers exist: ADD COLUMN holds "MessageThread"
  exclusively and CREATE TRIGGER holds off writes to "Message" until commit, so no message slips between the
  count and the triggers (about 27 s on 10,000,000 messages; docs/schema-notes.md says how to batch it for a
  very large table).
- The indexes are built CONCURRENTLY afterwards, dropping a leftover invalid one first.
"""

from alembic import op

from app.preflight import Lock, Online, Recipe

revision = "0009_thread_unread_counts"
down_revision = "0008_listing_facets"
branch_labels = None
depends_on = None

SIDES = ("buyer", "seller")

PREFLIGHT = [
    Lock(
        "MessageThread",
        "ADD COLUMN buyer_unread_count, seller_unread_count with their CHECKs (one scan)",
        scans=("MessageThread",),
    ),
    Lock(
        "Message",
        "CREATE TRIGGER message_unread_* (writes wait until the commit)",
        mode="SHARE ROW EXCLUSIVE",
    ),
    Lock(
        "MessageThread",
        'the backfill: UPDATE the counters from every unread "Message"',
        scans=("Message", "MessageThread"),
        recipe=Recipe(
            "0009 `thread_unread_counts`: the navigation badge reads counters, not messages",
            starting_with="For a table too large for that, batch it",
        ),
    ),
    Online("MessageThread", "2 indexes built CONCURRENTLY"),
]

# Who counts a message as unread: the thread's buyer unless they sent it, the seller unless they sent it.
SYNC_FUNCTION = """
CREATE OR REPLACE FUNCTION message_thread_unread_sync() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  -- Only the transition tables this kind of trigger has can be named, so the statement is put together here.
  added CONSTANT text := 'SELECT thread_id, sender_user_id, 1 AS delta FROM new_rows WHERE read_at IS NULL';
  removed CONSTANT text := 'SELECT thread_id, sender_user_id, -1 AS delta FROM old_rows WHERE read_at IS NULL';
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    UPDATE "MessageThread" SET buyer_unread_count = 0, seller_unread_count = 0
    WHERE buyer_unread_count > 0 OR seller_unread_count > 0;
    RETURN NULL;
  END IF;
  EXECUTE format($sql$
    WITH changed AS (%s),
    per_thread AS (
      SELECT c.thread_id,
             coalesce(sum(c.delta) FILTER (WHERE c.sender_user_id <> t.buyer_user_id), 0) AS buyer_delta,
             coalesce(sum(c.delta) FILTER (WHERE c.sender_user_id <> t.seller_user_id), 0) AS seller_delta
      FROM changed c JOIN "MessageThread" t ON t.id = c.thread_id
      GROUP BY c.thread_id
    )
    UPDATE "MessageThread" t
    SET buyer_unread_count = t.buyer_unread_count + p.buyer_delta,
        seller_unread_count = t.seller_unread_count + p.seller_delta
    FROM per_thread p
    WHERE t.id = p.thread_id AND (p.buyer_delta <> 0 OR p.seller_delta <> 0)
  $sql$, CASE TG_OP WHEN 'INSERT' THEN added
                    WHEN 'DELETE' THEN removed
                    ELSE added || ' UNION ALL ' || removed END);
  RETURN NULL;
END
$$
"""

RECOUNT_FUNCTION = """
CREATE OR REPLACE FUNCTION message_thread_unread_recount() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT count(*) FILTER (WHERE m.sender_user_id <> NEW.buyer_user_id),
         count(*) FILTER (WHERE m.sender_user_id <> NEW.seller_user_id)
  INTO NEW.buyer_unread_count, NEW.seller_unread_count
  FROM "Message" m WHERE m.thread_id = NEW.id AND m.read_at IS NULL;
  RETURN NEW;
END
$$
"""

# Transition tables are not allowed on TRUNCATE triggers nor with a column list, hence four statements.
TRIGGERS = {
    "message_unread_insert": (
        'AFTER INSERT ON "Message" REFERENCING NEW TABLE AS new_rows '
        "FOR EACH STATEMENT EXECUTE FUNCTION message_thread_unread_sync()"
    ),
    "message_unread_update": (
        'AFTER UPDATE ON "Message" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows '
        "FOR EACH STATEMENT EXECUTE FUNCTION message_thread_unread_sync()"
    ),
    "message_unread_delete": (
        'AFTER DELETE ON "Message" REFERENCING OLD TABLE AS old_rows '
        "FOR EACH STATEMENT EXECUTE FUNCTION message_thread_unread_sync()"
    ),
    "message_unread_truncate": (
        'AFTER TRUNCATE ON "Message" FOR EACH STATEMENT EXECUTE FUNCTION message_thread_unread_sync()'
    ),
}
THREAD_TRIGGER = "message_thread_participants_recount"
THREAD_TRIGGER_DEFINITION = (
    'BEFORE UPDATE OF buyer_user_id, seller_user_id ON "MessageThread" FOR EACH ROW '
    "WHEN (OLD.buyer_user_id IS DISTINCT FROM NEW.buyer_user_id "
    "OR OLD.seller_user_id IS DISTINCT FROM NEW.seller_user_id) "
    "EXECUTE FUNCTION message_thread_unread_recount()"
)

BACKFILL = """
UPDATE "MessageThread" t
SET buyer_unread_count = u.buyer_unread, seller_unread_count = u.seller_unread
FROM (
  SELECT m.thread_id,
         count(*) FILTER (WHERE m.sender_user_id <> t.buyer_user_id) AS buyer_unread,
         count(*) FILTER (WHERE m.sender_user_id <> t.seller_user_id) AS seller_unread
  FROM "Message" m JOIN "MessageThread" t ON t.id = m.thread_id
  WHERE m.read_at IS NULL
  GROUP BY m.thread_id
) u
WHERE t.id = u.thread_id AND (u.buyer_unread > 0 OR u.seller_unread > 0)
"""


def _index_name(side: str) -> str:
    return f"MessageThread_{side}_unread_idx"


def upgrade():
    for side in SIDES:
        op.execute(
            f'ALTER TABLE "MessageThread" ADD COLUMN {side}_unread_count INTEGER NOT NULL DEFAULT 0, '
            f'ADD CONSTRAINT "MessageThread_{side}_unread_count_check" CHECK ({side}_unread_count >= 0)'
        )
    op.execute(SYNC_FUNCTION)
    op.execute(RECOUNT_FUNCTION)
    for name, definition in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {definition}")
    op.execute(f"CREATE TRIGGER {THREAD_TRIGGER} {THREAD_TRIGGER_DEFINITION}")
    op.execute(BACKFILL)
    with op.get_context().autocommit_block():
        for side in SIDES:
            name = _index_name(side)
            op.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')
            op.execute(
                f'CREATE INDEX CONCURRENTLY "{name}" ON "MessageThread" ({side}_user_id) '
                f"INCLUDE ({side}_unread_count) WHERE {side}_unread_count > 0"
            )


def downgrade():
    # Plain DROP statements: a whole downgrade runs in one transaction (see migrations/env.py).
    for side in SIDES:
        op.execute(f'DROP INDEX IF EXISTS "{_index_name(side)}"')
    op.execute(f'DROP TRIGGER IF EXISTS {THREAD_TRIGGER} ON "MessageThread"')
    for name in TRIGGERS:
        op.execute(f'DROP TRIGGER IF EXISTS {name} ON "Message"')
    op.execute("DROP FUNCTION IF EXISTS message_thread_unread_recount()")
    op.execute("DROP FUNCTION IF EXISTS message_thread_unread_sync()")
    for side in SIDES:
        op.execute(f'ALTER TABLE "MessageThread" DROP COLUMN IF EXISTS {side}_unread_count')
