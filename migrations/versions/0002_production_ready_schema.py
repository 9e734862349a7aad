"""production_ready_schema: the customer's spec, PART 1 and PART 2, with the corrections in docs/schema-notes.md.

Revision ID: 0002_production_ready_schema
Revises: 0001_existing_schema
Create Date: 2026-11-26

The transactional part (type changes, new columns, new tables and their indexes, foreign keys) runs first,
in one transaction. Indexes on the existing, possibly large tables are then built CONCURRENTLY outside a
transaction. Every statement is written to be re-runnable, so if a concurrent build fails (for example on
lock_timeout) the next `db upgrade` finishes the job.

PREFLIGHT lists what `flask db preflight` and `flask db upgrade` check before any of this runs: the values its
foreign keys and unique index would refuse, the statuses the spec's schema allows, and the locks it takes.
"""

import logging

from alembic import context, op
from alembic.util import CommandError
from sqlalchemy import text

from app.preflight import (
    Catalog,
    DanglingReference,
    Duplicates,
    Lock,
    Online,
    Recipe,
    ValuesIn,
    fits_in_integer,
    matching,
)
from models import InvoiceStatus, PartyType, PaymentStatus

revision = "0002_production_ready_schema"
down_revision = "0001_existing_schema"
branch_labels = None
depends_on = None

INT_MAX = 2_147_483_647
INT_MIN = -2_147_483_648

# ---- PART 1: existing tables (transactional statements) -------------------------------------------------
PART1_TRANSACTIONAL = [
    # Invoice
    'ALTER TABLE "Invoice" ALTER COLUMN "amountCents" TYPE BIGINT',
    'ALTER TABLE "Invoice" ALTER COLUMN "balanceCents" TYPE BIGINT',
    'ALTER TABLE "Invoice" ALTER COLUMN "depositCents" TYPE BIGINT USING "depositCents"::BIGINT',
    'ALTER TABLE "Invoice" ADD COLUMN IF NOT EXISTS "deletedAt" TIMESTAMP',
    'ALTER TABLE "Invoice" ADD COLUMN IF NOT EXISTS "marketplaceTransactionId" INTEGER',
    'ALTER TABLE "Invoice" ADD COLUMN IF NOT EXISTS "isMarketplaceInvoice" BOOLEAN DEFAULT FALSE',
    # Contact
    'ALTER TABLE "Contact" ADD COLUMN IF NOT EXISTS "deletedAt" TIMESTAMP',
    'ALTER TABLE "Contact" ADD COLUMN IF NOT EXISTS "portalEnabled" BOOLEAN DEFAULT FALSE',
    'ALTER TABLE "Contact" ADD COLUMN IF NOT EXISTS "portalPasswordHash" VARCHAR(255)',
    'ALTER TABLE "Contact" ADD COLUMN IF NOT EXISTS "portalLastLogin" TIMESTAMP',
    # Payment
    'ALTER TABLE "Payment" ALTER COLUMN "amountCents" TYPE BIGINT',
]

# ---- PART 2: marketplace tables (new and empty, so their indexes are built in the transaction) ----------
PART2 = [
    """
    CREATE TABLE IF NOT EXISTS "MarketplaceUser" (
      id SERIAL PRIMARY KEY,
      email VARCHAR(255) UNIQUE NOT NULL,
      email_verified BOOLEAN DEFAULT FALSE,
      password_hash VARCHAR(255) NOT NULL,
      first_name VARCHAR(100),
      last_name VARCHAR(100),
      phone VARCHAR(50),
      avatar_url VARCHAR(500),
      user_type VARCHAR(50) DEFAULT 'buyer',
      tenant_id INTEGER REFERENCES "Tenant"(id) ON DELETE SET NULL,
      tenant_verified BOOLEAN DEFAULT FALSE,
      stripe_customer_id VARCHAR(255),
      status VARCHAR(50) DEFAULT 'active',
      created_at TIMESTAMP DEFAULT NOW(),
      updated_at TIMESTAMP DEFAULT NOW(),
      CONSTRAINT "MarketplaceUser_user_type_check"
        CHECK (user_type IN ('buyer', 'service_provider', 'both')),
      CONSTRAINT "MarketplaceUser_status_check"
        CHECK (status IN ('active', 'suspended', 'banned'))
    )
    """,
    # "MarketplaceUser_email_idx" is not created: the UNIQUE constraint on email already is that index.
    'CREATE INDEX IF NOT EXISTS "MarketplaceUser_tenantId_idx" ON "MarketplaceUser"(tenant_id) WHERE tenant_id IS NOT NULL',
    # "MarketplaceUser_stripe_idx" is not created: "MarketplaceUser_stripe_key" below covers the same rows.
    'CREATE UNIQUE INDEX IF NOT EXISTS "MarketplaceUser_stripe_key" ON "MarketplaceUser"(stripe_customer_id) WHERE stripe_customer_id IS NOT NULL',
    """
    CREATE TABLE IF NOT EXISTS "ServiceListing" (
      id SERIAL PRIMARY KEY,
      provider_user_id INTEGER NOT NULL REFERENCES "MarketplaceUser"(id) ON DELETE CASCADE,
      title VARCHAR(255) NOT NULL,
      description TEXT NOT NULL,
      category VARCHAR(100) NOT NULL,
      price_cents BIGINT,
      price_type VARCHAR(50),
      currency VARCHAR(3) DEFAULT 'USD',
      city VARCHAR(100),
      state VARCHAR(50),
      zip_code VARCHAR(20),
      service_area_miles INTEGER,
      status VARCHAR(50) DEFAULT 'draft',
      images JSONB,
      tags TEXT[],
      category_metadata JSONB,
      created_at TIMESTAMP DEFAULT NOW(),
      updated_at TIMESTAMP DEFAULT NOW(),
      published_at TIMESTAMP,
      CONSTRAINT "ServiceListing_status_check"
        CHECK (status IN ('draft', 'active', 'inactive', 'suspended')),
      CONSTRAINT "ServiceListing_price_type_check"
        CHECK (price_type IN ('fixed', 'hourly', 'daily', 'per_session', 'quote'))
    )
    """,
    'CREATE INDEX IF NOT EXISTS "ServiceListing_providerUserId_idx" ON "ServiceListing"(provider_user_id)',
    """CREATE INDEX IF NOT EXISTS "ServiceListing_active_idx"
         ON "ServiceListing"(status, category, state)
         WHERE status = 'active'""",
    'CREATE INDEX IF NOT EXISTS "ServiceListing_category_idx" ON "ServiceListing"(category, status)',
    """
    CREATE TABLE IF NOT EXISTS "MarketplaceTransaction" (
      id SERIAL PRIMARY KEY,
      provider_tenant_id INTEGER NOT NULL REFERENCES "Tenant"(id) ON DELETE RESTRICT,
      provider_user_id INTEGER REFERENCES "MarketplaceUser"(id) ON DELETE SET NULL,
      client_party_id INTEGER REFERENCES "Party"(id) ON DELETE SET NULL,
      client_user_id INTEGER REFERENCES "MarketplaceUser"(id) ON DELETE SET NULL,
      client_description TEXT,
      service_listing_id INTEGER REFERENCES "ServiceListing"(id) ON DELETE SET NULL,
      service_description TEXT NOT NULL,
      amount_cents BIGINT NOT NULL,
      currency VARCHAR(3) DEFAULT 'USD',
      platform_fee_cents BIGINT DEFAULT 0,
      net_payout_cents BIGINT,
      transaction_date DATE NOT NULL,
      status VARCHAR(50) DEFAULT 'completed',
      payment_method VARCHAR(50),
      stripe_invoice_id VARCHAR(255),
      stripe_payment_intent_id VARCHAR(255),
      notes TEXT,
      metadata JSONB,
      created_at TIMESTAMP DEFAULT NOW(),
      updated_at TIMESTAMP DEFAULT NOW(),
      CONSTRAINT "MarketplaceTransaction_status_check"
        CHECK (status IN ('pending', 'completed', 'cancelled', 'refunded'))
    )
    """,
    """CREATE INDEX IF NOT EXISTS "MarketplaceTransaction_provider_idx"
         ON "MarketplaceTransaction"(provider_tenant_id, transaction_date DESC)""",
    """CREATE INDEX IF NOT EXISTS "MarketplaceTransaction_client_party_idx"
         ON "MarketplaceTransaction"(client_party_id)
         WHERE client_party_id IS NOT NULL""",
    """CREATE INDEX IF NOT EXISTS "MarketplaceTransaction_client_user_idx"
         ON "MarketplaceTransaction"(client_user_id)
         WHERE client_user_id IS NOT NULL""",
    """CREATE INDEX IF NOT EXISTS "MarketplaceTransaction_listing_idx"
         ON "MarketplaceTransaction"(service_listing_id)
         WHERE service_listing_id IS NOT NULL""",
    """CREATE INDEX IF NOT EXISTS "MarketplaceTransaction_status_idx"
         ON "MarketplaceTransaction"(status, transaction_date DESC)""",
    """
    CREATE TABLE IF NOT EXISTS "MessageThread" (
      id SERIAL PRIMARY KEY,
      listing_id INTEGER REFERENCES "ServiceListing"(id) ON DELETE SET NULL,
      buyer_user_id INTEGER NOT NULL REFERENCES "MarketplaceUser"(id) ON DELETE CASCADE,
      seller_user_id INTEGER NOT NULL REFERENCES "MarketplaceUser"(id) ON DELETE CASCADE,
      subject VARCHAR(255),
      status VARCHAR(50) DEFAULT 'active',
      last_message_at TIMESTAMP,
      created_at TIMESTAMP DEFAULT NOW(),
      CONSTRAINT "MessageThread_status_check"
        CHECK (status IN ('active', 'archived', 'blocked'))
    )
    """,
    """CREATE INDEX IF NOT EXISTS "MessageThread_buyer_idx"
         ON "MessageThread"(buyer_user_id, last_message_at DESC)""",
    """CREATE INDEX IF NOT EXISTS "MessageThread_seller_idx"
         ON "MessageThread"(seller_user_id, last_message_at DESC)""",
    """CREATE INDEX IF NOT EXISTS "MessageThread_listing_idx"
         ON "MessageThread"(listing_id)
         WHERE listing_id IS NOT NULL""",
    """
    CREATE TABLE IF NOT EXISTS "Message" (
      id SERIAL PRIMARY KEY,
      thread_id INTEGER NOT NULL REFERENCES "MessageThread"(id) ON DELETE CASCADE,
      sender_user_id INTEGER NOT NULL REFERENCES "MarketplaceUser"(id) ON DELETE CASCADE,
      message_text TEXT NOT NULL,
      read_at TIMESTAMP,
      created_at TIMESTAMP DEFAULT NOW()
    )
    """,
    """CREATE INDEX IF NOT EXISTS "Message_thread_idx"
         ON "Message"(thread_id, created_at DESC)""",
    """CREATE INDEX IF NOT EXISTS "Message_sender_idx"
         ON "Message"(sender_user_id, created_at DESC)""",
    """CREATE INDEX IF NOT EXISTS "Message_unread_idx"
         ON "Message"(thread_id, read_at)
         WHERE read_at IS NULL""",
]

# ---- Correction: the foreign keys the Prisma relations imply ---------------------------------------------
# Added NOT VALID (a brief lock, no table scan) and validated afterwards, outside the DDL transaction.
IMPLIED_FOREIGN_KEYS = [
    (
        "Invoice",
        "Invoice_marketplaceTransactionId_fkey",
        "marketplaceTransactionId",
        "MarketplaceTransaction",
    ),
    ("Contact", "Contact_marketplaceUserId_fkey", "marketplaceUserId", "MarketplaceUser"),
]

# ---- PART 1 indexes on existing tables: built CONCURRENTLY ------------------------------------------------
PART1_CONCURRENT_INDEXES = [
    ("Invoice_tenantId_status_createdAt_idx", 'ON "Invoice"("tenantId", "status", "createdAt" DESC)'),
    (
        "Invoice_clientPartyId_status_idx",
        'ON "Invoice"("clientPartyId", "status") WHERE "clientPartyId" IS NOT NULL',
    ),
    ("Invoice_deletedAt_idx", 'ON "Invoice"("deletedAt") WHERE "deletedAt" IS NULL'),
    (
        "Invoice_marketplace_idx",
        'ON "Invoice"("tenantId", "isMarketplaceInvoice", "status") WHERE "isMarketplaceInvoice" = TRUE',
    ),
    (
        "Contact_marketplaceUserId_tenantId_key",
        'ON "Contact"("marketplaceUserId", "tenantId") WHERE "marketplaceUserId" IS NOT NULL',
    ),
    ("Contact_deletedAt_idx", 'ON "Contact"("deletedAt") WHERE "deletedAt" IS NULL'),
    ("Contact_tenantId_deletedAt_idx", 'ON "Contact"("tenantId", "deletedAt") WHERE "deletedAt" IS NULL'),
    ("Contact_portal_idx", 'ON "Contact"("tenantId", "portalEnabled") WHERE "portalEnabled" = TRUE'),
    ("Payment_invoiceId_status_idx", 'ON "Payment"("invoiceId", "status")'),
]
UNIQUE_INDEXES = {"Contact_marketplaceUserId_tenantId_key"}

# ---- Pre-flight (app/preflight): what existing data and tables this revision meets ----------------------------
DANGLING = {
    name: DanglingReference(table, column, target, name)
    for table, name, column, target in IMPLIED_FOREIGN_KEYS
}
BIGINT_RECIPE = Recipe("BIGINT money: fine today, and how to do it online later")
MONEY = {"Invoice": ("amountCents", "balanceCents", "depositCents"), "Payment": ("amountCents",)}
FITS_IN_INTEGER = [fits_in_integer(table, columns) for table, columns in MONEY.items()]
PREFLIGHT = [
    # Revision 1 assumes these CHECKs and the app compares against these enums; a database made by Prisma
    # (which writes no CHECK constraints) may hold anything.
    ValuesIn("Party", "type", PartyType),
    ValuesIn("Invoice", "status", InvoiceStatus),
    ValuesIn("Payment", "status", PaymentStatus),
    *DANGLING.values(),
    Duplicates(
        "Contact",
        ("marketplaceUserId", "tenantId"),
        "Contact_marketplaceUserId_tenantId_key",
        clear="marketplaceUserId",
    ),
    # The transactional part, in order: every lock is held until it commits.
    Lock(
        "Invoice",
        'ALTER COLUMN "amountCents", "balanceCents", "depositCents" TYPE BIGINT (three rewrites)',
        scans=("Invoice",) * 3,
        recipe=BIGINT_RECIPE,
    ),
    Lock("Invoice", 'ADD COLUMN "deletedAt", "marketplaceTransactionId", "isMarketplaceInvoice"'),
    Lock("Contact", 'ADD COLUMN "deletedAt", "portalEnabled", "portalPasswordHash", "portalLastLogin"'),
    Lock(
        "Payment",
        'ALTER COLUMN "amountCents" TYPE BIGINT (a rewrite)',
        scans=("Payment",),
        recipe=BIGINT_RECIPE,
    ),
    Lock("Tenant", "CREATE TABLE of the marketplace tables referencing it", mode="SHARE ROW EXCLUSIVE"),
    Lock("Party", 'CREATE TABLE "MarketplaceTransaction" referencing it', mode="SHARE ROW EXCLUSIVE"),
    # Then, outside the transaction:
    Online(
        "Invoice", "4 indexes built CONCURRENTLY, VALIDATE CONSTRAINT Invoice_marketplaceTransactionId_fkey"
    ),
    Online("Contact", "4 indexes built CONCURRENTLY, VALIDATE CONSTRAINT Contact_marketplaceUserId_fkey"),
    Online("Payment", "Payment_invoiceId_status_idx built CONCURRENTLY"),
]
PREFLIGHT_DOWNGRADE = [
    *FITS_IN_INTEGER,
    Lock("Payment", 'ALTER COLUMN "amountCents" TYPE INTEGER (a rewrite)', scans=("Payment",)),
    Lock(
        "Invoice",
        'ALTER COLUMN "depositCents", "balanceCents", "amountCents" TYPE INTEGER (three rewrites)',
        scans=("Invoice",) * 3,
    ),
]
log = logging.getLogger("alembic.revision.0002")


def _drop_invalid_index(bind, name: str) -> None:
    """A CONCURRENTLY build that failed leaves an INVALID index behind; drop it so the build can be retried.
    Offline (`--sql`) nothing can be asked, so the script drops the index whatever its state."""
    invalid = (
        context.is_offline_mode()
        or bind.execute(
            text(
                "SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE c.relname = :name AND NOT i.indisvalid"
            ),
            {"name": name},
        ).scalar()
    )
    if invalid:
        op.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')


def upgrade():
    bind = op.get_bind()
    for statement in PART1_TRANSACTIONAL + PART2:
        op.execute(statement)
    for table, name, column, target in IMPLIED_FOREIGN_KEYS:
        op.execute(
            f'ALTER TABLE "{table}" DROP CONSTRAINT IF EXISTS "{name}", '
            f'ADD CONSTRAINT "{name}" FOREIGN KEY ("{column}") REFERENCES "{target}"(id) '
            "ON DELETE SET NULL NOT VALID"
        )

    with op.get_context().autocommit_block():
        op.execute('DROP INDEX CONCURRENTLY IF EXISTS "Contact_marketplaceUserId_idx"')
        for name, definition in PART1_CONCURRENT_INDEXES:
            _drop_invalid_index(bind, name)
            unique = "UNIQUE " if name in UNIQUE_INDEXES else ""
            op.execute(f'CREATE {unique}INDEX CONCURRENTLY IF NOT EXISTS "{name}" {definition}')
        for table, name, _column, _target in IMPLIED_FOREIGN_KEYS:
            # Contact."marketplaceUserId" predates MarketplaceUser, so old values can point at nobody. (Offline,
            # VALIDATE itself is the check.)
            dangling = not context.is_offline_mode() and DANGLING[name].find(Catalog(bind))
            if dangling:
                raise CommandError(
                    f'{dangling.message}, so "{name}" cannot be validated. Fix or clear those values '
                    "(`flask --app wsgi db preflight` lists them, `--fix` clears them), then run `db upgrade` again."
                )
            op.execute(f'ALTER TABLE "{table}" VALIDATE CONSTRAINT "{name}"')


def _refuse_if_money_exceeds_integer(bind) -> None:
    catalog = Catalog(bind)
    problems = [
        f'{finding.count} "{finding.table}" row(s)'
        for finding in (check.find(catalog) for check in FITS_IN_INTEGER)
        if finding
    ]
    if problems:
        raise CommandError(
            "Refusing to downgrade 0002_production_ready_schema: "
            + " and ".join(problems)
            + f" hold amounts outside {INT_MIN}..{INT_MAX} cents, which INTEGER cannot store. Nothing was changed."
        )


def _left_behind(bind) -> list[str]:
    """What undoing this revision leaves in the tables that stay (and takes with the ones that go)."""
    catalog = Catalog(bind)
    notes = []
    links, ids = matching(bind, "Contact", '"marketplaceUserId" IS NOT NULL')
    if links:
        notes.append(
            f'{links} "Contact" row(s) keep a "marketplaceUserId" naming a marketplace user who is now gone '
            f"(ids {', '.join(map(str, ids))}{' ...' if links > len(ids) else ''}): a new `db upgrade` stops on "
            "them until they are cleared"
        )
    for table in ("Invoice", "Contact"):
        deleted, ids = matching(bind, table, '"deletedAt" IS NOT NULL')
        if deleted:
            notes.append(
                f'{deleted} soft-deleted "{table}" row(s) are live rows again ("deletedAt" is dropped; ids '
                f"{', '.join(map(str, ids))}{' ...' if deleted > len(ids) else ''})"
            )
    linked, _ids = matching(
        bind, "Invoice", '"marketplaceTransactionId" IS NOT NULL OR "isMarketplaceInvoice"'
    )
    if linked:
        notes.append(f'{linked} "Invoice" row(s) lose their marketplace sale and marker')
    portal, _ids = matching(bind, "Contact", '"portalEnabled" OR "portalPasswordHash" IS NOT NULL')
    if portal:
        notes.append(f'{portal} "Contact" row(s) lose their portal access and password')
    dropped = [
        f'{matching(bind, table, "true")[0]} "{table}"'
        for table in (
            "MarketplaceUser",
            "ServiceListing",
            "MarketplaceTransaction",
            "MessageThread",
            "Message",
        )
        if catalog.has_table(table)
    ]
    notes.append("rows deleted with their tables: " + ", ".join(dropped))
    return notes


def downgrade():
    bind = op.get_bind()
    offline = context.is_offline_mode()
    if not offline:
        _refuse_if_money_exceeds_integer(bind)
        left_behind = _left_behind(bind)
    for name, _definition in PART1_CONCURRENT_INDEXES:
        op.execute(f'DROP INDEX IF EXISTS "{name}"')
    op.execute('CREATE INDEX IF NOT EXISTS "Contact_marketplaceUserId_idx" ON "Contact"("marketplaceUserId")')
    for table, name, _column, _target in IMPLIED_FOREIGN_KEYS:
        op.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT IF EXISTS "{name}"')
    for table in ("Message", "MessageThread", "MarketplaceTransaction", "ServiceListing", "MarketplaceUser"):
        op.execute(f'DROP TABLE IF EXISTS "{table}"')
    for column in ("deletedAt", "portalEnabled", "portalPasswordHash", "portalLastLogin"):
        op.execute(f'ALTER TABLE "Contact" DROP COLUMN IF EXISTS "{column}"')
    for column in ("deletedAt", "marketplaceTransactionId", "isMarketplaceInvoice"):
        op.execute(f'ALTER TABLE "Invoice" DROP COLUMN IF EXISTS "{column}"')
    op.execute('ALTER TABLE "Payment" ALTER COLUMN "amountCents" TYPE INTEGER')
    op.execute('ALTER TABLE "Invoice" ALTER COLUMN "depositCents" TYPE INTEGER')
    op.execute('ALTER TABLE "Invoice" ALTER COLUMN "balanceCents" TYPE INTEGER')
    op.execute('ALTER TABLE "Invoice" ALTER COLUMN "amountCents" TYPE INTEGER')
    if not offline:
        log.warning(
            "Revision 0002_production_ready_schema is undone. It leaves behind:\n%s\n"
            "Before upgrading again, run `flask --app wsgi db preflight` (its --fix clears the contact links).",
            "\n".join(f"  - {note};" for note in left_behind),
        )
