"""listing_search: full-text search and keyset-friendly sort indexes for the public listing browser.

Revision ID: 0006_listing_search
Revises: 0005_portal_contact_email
Create Date: 2026-11-26

- listing_search_document(title, tags, description): the weighted document (A title, B tags, C description).
  array_to_string is only STABLE in general (any element type), but for text[] it depends on no setting, so
  the wrapper may honestly be IMMUTABLE, which a generated column needs.
- "ServiceListing".search_vector: a STORED generated column, so ranking reads the vector instead of
  re-parsing every matching row (EXPLAIN on 1,000,000 rows: 185 ms against 3.8 s for an expression index).
  Adding it rewrites the table once; ServiceListing is new with this spec, so it is small when this runs.
- Partial indexes on active listings only (the only ones anyone browses): GIN on the vector, and btree
  (sort key, id) for each sort order, which keyset pagination walks.
"""

from alembic import op

from app.preflight import Lock, Online

revision = "0006_listing_search"
down_revision = "0005_portal_contact_email"
branch_labels = None
depends_on = None

DOCUMENT_FUNCTION = """
CREATE OR REPLACE FUNCTION listing_search_document(title text, tags text[], description text)
RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')
      || setweight(to_tsvector('english'::regconfig, coalesce(array_to_string(tags, ' '), '')), 'B')
      || setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'C')
$$
"""

INDEXES = {
    "ServiceListing_search_idx": "USING gin (search_vector)",
    "ServiceListing_listed_at_idx": "(COALESCE(published_at, created_at, '-infinity'::timestamp), id)",
    "ServiceListing_price_low_idx": "(COALESCE(price_cents, '9223372036854775807'::bigint), id)",
    "ServiceListing_price_high_idx": "(COALESCE(price_cents, '-1'::bigint), id)",
}
PREFLIGHT = [
    Lock(
        "ServiceListing",
        "ADD COLUMN search_vector ... STORED (a rewrite that computes every listing's vector)",
        scans=("ServiceListing",),
    ),
    Online("ServiceListing", "4 indexes built CONCURRENTLY"),
]


def upgrade():
    op.execute(DOCUMENT_FUNCTION)
    op.execute(
        'ALTER TABLE "ServiceListing" ADD COLUMN search_vector tsvector '
        "GENERATED ALWAYS AS (listing_search_document(title::text, tags, description)) STORED"
    )
    with op.get_context().autocommit_block():
        for name, definition in INDEXES.items():
            op.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')
            op.execute(
                f'CREATE INDEX CONCURRENTLY "{name}" ON "ServiceListing" {definition} '
                "WHERE status::text = 'active'::text"
            )


def downgrade():
    for name in INDEXES:
        op.execute(f'DROP INDEX IF EXISTS "{name}"')
    op.execute('ALTER TABLE "ServiceListing" DROP COLUMN IF EXISTS search_vector')
    op.execute("DROP FUNCTION IF EXISTS listing_search_document(text, text[], text)")
