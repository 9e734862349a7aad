"""listing_search_category: a listing's category name is part of its search document, with weight B.

Revision ID: 0017_listing_search_category
Revises: 0016_payment_refunds
Create Date: 2026-11-27

"grooming" found 3 listings while the Grooming category held 6: the category was not in the search vector.

- listing_category_label(category): the catalog's names (marketplace/catalog.py CATEGORIES) as of this revision,
  IMMUTABLE so an index or trigger may use it. A test compares it with the catalog, so a new category comes with
  a revision.
- listing_search_document(title, tags, description, category): A title, B tags and the category's name,
  C description.
- search_vector stops being a generated column (changing a STORED expression rewrites the whole table under
  ACCESS EXCLUSIVE, and PostgreSQL 15 has no SET EXPRESSION). A BEFORE INSERT OR UPDATE OF the four source
  columns trigger keeps it instead, which is equally exact.

Online on 1,000,000 listings: a nullable column and the trigger are catalog-only; the new vectors are written in
batches of BATCH_ROWS ids, each its own short transaction (rows written meanwhile get theirs from the trigger);
the GIN index is built CONCURRENTLY; the swap (drop the old column, rename the new) is catalog-only and waits
at most lock_timeout (migrations/env.py) for its lock. docs/schema-notes.md has the timings.
Like revision 2, every step can be run again after a failure (docs/schema-notes.md, "Statements are
re-runnable"): the backfill resumes where it stopped. The downgrade restores the generated column, which rewrites the table (a downgrade is for a small database or a
maintenance window).
"""

from alembic import op
from sqlalchemy import text

from app.preflight import Lock, Online

revision = "0017_listing_search_category"
down_revision = "0016_payment_refunds"
branch_labels = None
depends_on = None

BATCH_ROWS = 5_000
INDEX_WHERE = "WHERE status::text = 'active'::text"

CATEGORY_LABEL_FUNCTION = """
CREATE OR REPLACE FUNCTION listing_category_label(category text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE category
    WHEN 'stud_service' THEN 'Stud service'
    WHEN 'grooming' THEN 'Grooming'
    WHEN 'training' THEN 'Training'
    WHEN 'boarding' THEN 'Boarding'
    WHEN 'transport' THEN 'Transport'
    WHEN 'veterinary' THEN 'Veterinary care'
    WHEN 'photography' THEN 'Photography'
    WHEN 'handling' THEN 'Show handling'
    WHEN 'breeding_consult' THEN 'Breeding consultation'
    WHEN 'whelping' THEN 'Whelping support'
    ELSE replace(category, '_', ' ')
  END
$$
"""

DOCUMENT_FUNCTION = """
CREATE OR REPLACE FUNCTION listing_search_document(title text, tags text[], description text, category text)
RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')
      || setweight(to_tsvector('english'::regconfig,
                               coalesce(array_to_string(tags, ' '), '') || ' '
                               || coalesce(listing_category_label(category), '')), 'B')
      || setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'C')
$$
"""


def trigger_function(column: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION listing_search_vector_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.{column} := listing_search_document(NEW.title::text, NEW.tags, NEW.description, NEW.category::text);
  RETURN NEW;
END
$$
"""


TRIGGER = """
CREATE TRIGGER "ServiceListing_search_vector_refresh"
BEFORE INSERT OR UPDATE OF title, tags, description, category ON "ServiceListing"
FOR EACH ROW EXECUTE FUNCTION listing_search_vector_refresh()
"""

OLD_DOCUMENT_FUNCTION = """
CREATE OR REPLACE FUNCTION listing_search_document(title text, tags text[], description text)
RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')
      || setweight(to_tsvector('english'::regconfig, coalesce(array_to_string(tags, ' '), '')), 'B')
      || setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'C')
$$
"""

PREFLIGHT = [
    Lock("ServiceListing", "ADD COLUMN search_document (nullable, no default) and its trigger: catalog only"),
    Online(
        "ServiceListing",
        f"search_document written in batches of {BATCH_ROWS:,} ids, each its own transaction",
    ),
    Online("ServiceListing", "GIN index on search_document built CONCURRENTLY"),
    Lock("ServiceListing", "DROP COLUMN search_vector, RENAME search_document: catalog only"),
]


def upgrade():
    op.execute(CATEGORY_LABEL_FUNCTION)
    op.execute(DOCUMENT_FUNCTION)
    op.execute('ALTER TABLE "ServiceListing" ADD COLUMN IF NOT EXISTS search_document tsvector')
    op.execute(trigger_function("search_document"))
    op.execute('DROP TRIGGER IF EXISTS "ServiceListing_search_vector_refresh" ON "ServiceListing"')
    op.execute(TRIGGER)
    with op.get_context().autocommit_block():
        _backfill_in_batches()
        op.execute('DROP INDEX CONCURRENTLY IF EXISTS "ServiceListing_search_document_idx"')
        op.execute(
            'CREATE INDEX CONCURRENTLY "ServiceListing_search_document_idx" ON "ServiceListing" '
            f"USING gin (search_document) {INDEX_WHERE}"
        )
    op.execute('ALTER TABLE "ServiceListing" DROP COLUMN search_vector')
    op.execute('ALTER TABLE "ServiceListing" RENAME COLUMN search_document TO search_vector')
    op.execute('ALTER INDEX "ServiceListing_search_document_idx" RENAME TO "ServiceListing_search_idx"')
    op.execute(trigger_function("search_vector"))
    op.execute("DROP FUNCTION listing_search_document(text, text[], text)")
    # The new column has no statistics yet: without them the planner guessed 4,697 matches for 80,000 at 1M rows.
    op.execute('ANALYZE "ServiceListing"')


def _backfill_in_batches():
    """Keyset over ids, so gaps in the ids cost nothing; each UPDATE commits on its own (autocommit). An offline
    script (`db upgrade --sql`) cannot read the ids, so it gets one UPDATE of every row instead."""
    if op.get_context().as_sql:
        op.execute(
            'UPDATE "ServiceListing" SET search_document = '
            "listing_search_document(title::text, tags, description, category::text) WHERE search_document IS NULL"
        )
        return
    bind = op.get_bind()
    after = 0
    while True:
        last = bind.execute(
            text(
                'SELECT max(id) FROM (SELECT id FROM "ServiceListing" WHERE id > :after ORDER BY id LIMIT :rows) b'
            ),
            {"after": after, "rows": BATCH_ROWS},
        ).scalar()
        if last is None:
            return
        bind.execute(
            text(
                'UPDATE "ServiceListing" SET search_document = '
                "listing_search_document(title::text, tags, description, category::text) "
                "WHERE id > :after AND id <= :last AND search_document IS NULL"
            ),
            {"after": after, "last": last},
        )
        after = last


def downgrade():
    op.execute('DROP TRIGGER IF EXISTS "ServiceListing_search_vector_refresh" ON "ServiceListing"')
    op.execute("DROP FUNCTION IF EXISTS listing_search_vector_refresh()")
    op.execute('ALTER TABLE "ServiceListing" DROP COLUMN search_vector')
    op.execute("DROP FUNCTION IF EXISTS listing_search_document(text, text[], text, text)")
    op.execute("DROP FUNCTION IF EXISTS listing_category_label(text)")
    op.execute(OLD_DOCUMENT_FUNCTION)
    op.execute(
        'ALTER TABLE "ServiceListing" ADD COLUMN search_vector tsvector '
        "GENERATED ALWAYS AS (listing_search_document(title::text, tags, description)) STORED"
    )
    op.execute(
        f'CREATE INDEX "ServiceListing_search_idx" ON "ServiceListing" USING gin (search_vector) {INDEX_WHERE}'
    )
