"""provider_reviews: reviews of completed sales, reports of reviews, and per-provider stats.

Revision ID: 0014_provider_reviews
Revises: 0013_online_payments
Create Date: 2026-11-28

- "Review": one per sale (UNIQUE marketplace_transaction_id), 1-5 stars and a text, one public reply by the
  provider, hidden_at set by an administrator. A BEFORE trigger (review_from_sale) makes the database itself
  refuse a review of a sale that is not completed or by anyone but the sale's buyer, and copies the provider, the
  provider's breeder and the listing from the sale, whoever writes: a review can only name a provider its author
  paid.
- "ReviewReport": one report per (review, user), with a reason from a fixed list.
- "ProviderStats": one row per provider. review_count and rating_sum (the visible reviews) are kept by an AFTER
  trigger on "Review" (provider_stats_count_review), so listing cards read two integers instead of aggregating
  reviews. The response_* columns are a cache of the provider's reply rate and median reply time, recomputed by
  the application when older than PROVIDER_STATS_TTL_SECONDS (marketplace/providers/queries.py).
Three new, empty tables: nothing is backfilled and nothing is built concurrently. The foreign keys to existing
tables take brief locks on them, bounded by lock_timeout.
"""

from alembic import op

from app.preflight import Lock

revision = "0014_provider_reviews"
down_revision = "0013_online_payments"
branch_labels = None
depends_on = None

# Creating a table with a foreign key takes SHARE ROW EXCLUSIVE on the table it references (writes wait, reads go
# on), until the revision commits: ProviderStats first, then Review. Nothing existing is scanned or rewritten.
PREFLIGHT = [
    Lock(table, f'CREATE TABLE "{new}" referencing it', mode="SHARE ROW EXCLUSIVE")
    for new, tables in (
        ("ProviderStats", ("MarketplaceUser",)),
        ("Review", ("MarketplaceTransaction", "Tenant", "ServiceListing")),
    )
    for table in tables
]

REPORT_REASONS = ("offensive", "personal_information", "not_about_the_service", "spam", "other")

REVIEW_TABLE = """
CREATE TABLE "Review" (
    id SERIAL NOT NULL,
    marketplace_transaction_id INTEGER NOT NULL,
    provider_tenant_id INTEGER NOT NULL,
    provider_user_id INTEGER NOT NULL,
    reviewer_user_id INTEGER NOT NULL,
    service_listing_id INTEGER,
    rating SMALLINT NOT NULL,
    body TEXT NOT NULL,
    reply_text TEXT,
    replied_at TIMESTAMP,
    hidden_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL DEFAULT timezone('utc', now()),
    updated_at TIMESTAMP NOT NULL DEFAULT timezone('utc', now()),
    CONSTRAINT "Review_pkey" PRIMARY KEY (id),
    CONSTRAINT "Review_marketplace_transaction_id_key" UNIQUE (marketplace_transaction_id),
    CONSTRAINT "Review_rating_check" CHECK (rating >= 1 AND rating <= 5),
    CONSTRAINT "Review_body_check" CHECK (body ~ '[^[:space:]]' AND char_length(body) <= 4000),
    CONSTRAINT "Review_reply_text_check" CHECK (
        reply_text IS NULL OR (reply_text ~ '[^[:space:]]' AND char_length(reply_text) <= 4000)
    ),
    CONSTRAINT "Review_replied_at_check" CHECK ((reply_text IS NULL) = (replied_at IS NULL)),
    CONSTRAINT "Review_marketplace_transaction_id_fkey" FOREIGN KEY (marketplace_transaction_id)
        REFERENCES "MarketplaceTransaction"(id) ON DELETE CASCADE,
    CONSTRAINT "Review_provider_tenant_id_fkey" FOREIGN KEY (provider_tenant_id)
        REFERENCES "Tenant"(id) ON DELETE RESTRICT,
    CONSTRAINT "Review_provider_user_id_fkey" FOREIGN KEY (provider_user_id)
        REFERENCES "MarketplaceUser"(id) ON DELETE CASCADE,
    CONSTRAINT "Review_reviewer_user_id_fkey" FOREIGN KEY (reviewer_user_id)
        REFERENCES "MarketplaceUser"(id) ON DELETE CASCADE,
    CONSTRAINT "Review_service_listing_id_fkey" FOREIGN KEY (service_listing_id)
        REFERENCES "ServiceListing"(id) ON DELETE SET NULL
)
"""

REVIEW_INDEXES = (
    'CREATE INDEX "Review_provider_user_id_id_idx" ON "Review" (provider_user_id, id DESC)',
    'CREATE INDEX "Review_reviewer_user_id_idx" ON "Review" (reviewer_user_id)',
    'CREATE INDEX "Review_provider_tenant_id_idx" ON "Review" (provider_tenant_id)',
    'CREATE INDEX "Review_service_listing_id_idx" ON "Review" (service_listing_id) '
    "WHERE service_listing_id IS NOT NULL",
)

REPORT_TABLE = """
CREATE TABLE "ReviewReport" (
    review_id INTEGER NOT NULL,
    reporter_user_id INTEGER NOT NULL,
    reason VARCHAR(30) NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT timezone('utc', now()),
    CONSTRAINT "ReviewReport_pkey" PRIMARY KEY (review_id, reporter_user_id),
    CONSTRAINT "ReviewReport_reason_check" CHECK (reason IN ({reasons})),
    CONSTRAINT "ReviewReport_review_id_fkey" FOREIGN KEY (review_id)
        REFERENCES "Review"(id) ON DELETE CASCADE,
    CONSTRAINT "ReviewReport_reporter_user_id_fkey" FOREIGN KEY (reporter_user_id)
        REFERENCES "MarketplaceUser"(id) ON DELETE CASCADE
)
"""

STATS_TABLE = """
CREATE TABLE "ProviderStats" (
    provider_user_id INTEGER NOT NULL,
    review_count INTEGER NOT NULL DEFAULT 0,
    rating_sum INTEGER NOT NULL DEFAULT 0,
    response_threads INTEGER,
    response_threads_answered INTEGER,
    response_median_seconds INTEGER,
    response_computed_at TIMESTAMP,
    CONSTRAINT "ProviderStats_pkey" PRIMARY KEY (provider_user_id),
    CONSTRAINT "ProviderStats_rating_sum_check" CHECK (
        rating_sum >= review_count AND rating_sum <= 5 * review_count
    ),
    CONSTRAINT "ProviderStats_response_threads_answered_check" CHECK (
        response_threads_answered >= 0 AND response_threads_answered <= response_threads
    ),
    CONSTRAINT "ProviderStats_response_median_seconds_check" CHECK (response_median_seconds >= 0),
    CONSTRAINT "ProviderStats_provider_user_id_fkey" FOREIGN KEY (provider_user_id)
        REFERENCES "MarketplaceUser"(id) ON DELETE CASCADE
)
"""

# A review is of a completed sale, by that sale's buyer; its provider, breeder and listing are the sale's. A NULL
# status counts as completed, as everywhere in the application (the column's default is 'completed').
FROM_SALE_FUNCTION = """
CREATE OR REPLACE FUNCTION review_from_sale() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  sale RECORD;
BEGIN
  SELECT status, client_user_id, provider_user_id, provider_tenant_id, service_listing_id INTO sale
  FROM "MarketplaceTransaction" WHERE id = NEW.marketplace_transaction_id FOR SHARE;
  IF NOT FOUND OR coalesce(sale.status, 'completed') <> 'completed' THEN
    RAISE EXCEPTION 'A review needs a completed sale (transaction %)', NEW.marketplace_transaction_id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'Review_sale_completed';
  END IF;
  IF sale.client_user_id IS DISTINCT FROM NEW.reviewer_user_id THEN
    RAISE EXCEPTION 'Only the buyer of transaction % can review it', NEW.marketplace_transaction_id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'Review_reviewer_is_buyer';
  END IF;
  IF sale.provider_user_id IS NULL THEN
    RAISE EXCEPTION 'Transaction % has no provider account to review', NEW.marketplace_transaction_id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'Review_sale_has_provider';
  END IF;
  NEW.provider_user_id := sale.provider_user_id;
  NEW.provider_tenant_id := sale.provider_tenant_id;
  NEW.service_listing_id := sale.service_listing_id;
  RETURN NEW;
END
$$
"""

# Visible (not hidden) reviews are counted; a review that is hidden, shown again, moved or deleted moves the sums.
COUNT_FUNCTION = """
CREATE OR REPLACE FUNCTION provider_stats_count_review() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    IF OLD.hidden_at IS NULL THEN
      UPDATE "ProviderStats"
      SET review_count = review_count - 1, rating_sum = rating_sum - OLD.rating
      WHERE provider_user_id = OLD.provider_user_id;
    END IF;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    IF NEW.hidden_at IS NULL THEN
      INSERT INTO "ProviderStats" AS stats (provider_user_id, review_count, rating_sum)
      VALUES (NEW.provider_user_id, 1, NEW.rating)
      ON CONFLICT (provider_user_id) DO UPDATE
      SET review_count = stats.review_count + 1, rating_sum = stats.rating_sum + EXCLUDED.rating_sum;
    END IF;
  END IF;
  RETURN NULL;
END
$$
"""

TRUNCATE_FUNCTION = """
CREATE OR REPLACE FUNCTION provider_stats_reviews_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "ProviderStats" SET review_count = 0, rating_sum = 0 WHERE review_count > 0;
  RETURN NULL;
END
$$
"""

TRIGGERS = (
    "CREATE TRIGGER review_from_sale BEFORE INSERT OR UPDATE OF marketplace_transaction_id, reviewer_user_id, "
    'provider_user_id, provider_tenant_id ON "Review" FOR EACH ROW EXECUTE FUNCTION review_from_sale()',
    "CREATE TRIGGER review_counted AFTER INSERT OR DELETE OR UPDATE OF hidden_at, rating, provider_user_id "
    'ON "Review" FOR EACH ROW EXECUTE FUNCTION provider_stats_count_review()',
    'CREATE TRIGGER review_truncated AFTER TRUNCATE ON "Review" '
    "FOR EACH STATEMENT EXECUTE FUNCTION provider_stats_reviews_truncated()",
)

FUNCTIONS = ("review_from_sale()", "provider_stats_count_review()", "provider_stats_reviews_truncated()")


def upgrade():
    op.execute(STATS_TABLE)
    op.execute(REVIEW_TABLE)
    for statement in REVIEW_INDEXES:
        op.execute(statement)
    op.execute(REPORT_TABLE.format(reasons=", ".join(f"'{reason}'" for reason in REPORT_REASONS)))
    op.execute('CREATE INDEX "ReviewReport_reporter_user_id_idx" ON "ReviewReport" (reporter_user_id)')
    for function in (FROM_SALE_FUNCTION, COUNT_FUNCTION, TRUNCATE_FUNCTION):
        op.execute(function)
    for trigger in TRIGGERS:
        op.execute(trigger)


def downgrade():
    # Dropping the tables drops their indexes and triggers; the functions go after them.
    op.execute('DROP TABLE IF EXISTS "ReviewReport"')
    op.execute('DROP TABLE IF EXISTS "Review"')
    op.execute('DROP TABLE IF EXISTS "ProviderStats"')
    for function in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {function}")
