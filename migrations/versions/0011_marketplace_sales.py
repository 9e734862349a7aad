"""marketplace_sales: a recorded sale's money adds up, it has one invoice at most, and invoice numbers per breeder.

Revision ID: 0011_marketplace_sales
Revises: 0010_audit_events
Create Date: 2026-11-27

- Three CHECKs on "MarketplaceTransaction": the amount is positive; the platform fee lies between 0 and the
  amount; the net payout is the amount less the fee. The fee and net columns are nullable in the spec, and a
  NULL passes (a net payout needs a fee to be computed from, so a net without a fee does not). Added NOT VALID
  in the DDL transaction (a brief lock, no scan; new writes are checked from then on), then validated outside
  it: VALIDATE CONSTRAINT scans without blocking writes. Rows that break a rule stop the upgrade before it
  validates, with a count and the rule; fix them and run `db upgrade` again.
- "Invoice_marketplaceTransactionId_key": UNIQUE ("marketplaceTransactionId") WHERE it is not NULL, so a sale is
  invoiced once, even if two requests race (soft-deleted invoices count: the link must be cleared to re-invoice).
  It also serves the ON DELETE SET NULL of Invoice_marketplaceTransactionId_fkey, which had no index. Invoice
  may be large and busy: built CONCURRENTLY, after dropping a leftover invalid index. Existing duplicates stop
  the upgrade with a count before the build.
- "InvoiceNumberCounter": the last invoice number handed out per tenant, claimed with one
  INSERT ... ON CONFLICT DO UPDATE ... RETURNING whose row lock serialises concurrent allocations
  (see models/sales.py). A new, empty table.
Every statement can run again after a failure in the non-transactional part. PREFLIGHT holds the same checks, so
`flask db preflight` and `flask db upgrade` find such rows before anything runs.
"""

from alembic import context, op
from alembic.util import CommandError

from app.preflight import Breaks, Catalog, Duplicates, Lock, Online

revision = "0011_marketplace_sales"
down_revision = "0010_audit_events"
branch_labels = None
depends_on = None

TRANSACTION_CHECKS = {
    "MarketplaceTransaction_amount_cents_check": "amount_cents > 0",
    "MarketplaceTransaction_platform_fee_cents_check": (
        "platform_fee_cents IS NULL OR (platform_fee_cents >= 0 AND platform_fee_cents <= amount_cents)"
    ),
    "MarketplaceTransaction_net_payout_cents_check": (
        "net_payout_cents IS NULL "
        "OR (platform_fee_cents IS NOT NULL AND net_payout_cents = amount_cents - platform_fee_cents)"
    ),
}

INDEX = "Invoice_marketplaceTransactionId_key"
INDEX_DEFINITION = 'ON "Invoice" ("marketplaceTransactionId") WHERE "marketplaceTransactionId" IS NOT NULL'

# Suggested fixes (never applied by --fix: they change money): a fee clamped into 0..amount, a net recomputed.
FIXES = {
    "MarketplaceTransaction_amount_cents_check": None,
    "MarketplaceTransaction_platform_fee_cents_check": (
        'UPDATE "MarketplaceTransaction" SET platform_fee_cents = LEAST(GREATEST(platform_fee_cents, 0), '
        "amount_cents) WHERE NOT ({rule});"
    ),
    "MarketplaceTransaction_net_payout_cents_check": (
        'UPDATE "MarketplaceTransaction" SET net_payout_cents = amount_cents - platform_fee_cents '
        "WHERE NOT ({rule}) AND platform_fee_cents IS NOT NULL;\n"
        'UPDATE "MarketplaceTransaction" SET net_payout_cents = NULL WHERE NOT ({rule});'
    ),
}
CHECKS = {
    name: Breaks(
        "MarketplaceTransaction",
        name,
        rule,
        fix_sql=FIXES[name].format(rule=rule) if FIXES[name] else None,
    )
    for name, rule in TRANSACTION_CHECKS.items()
}
ONE_INVOICE = Duplicates("Invoice", ("marketplaceTransactionId",), INDEX, clear="marketplaceTransactionId")
PREFLIGHT = [
    *CHECKS.values(),
    ONE_INVOICE,
    Lock("Tenant", 'CREATE TABLE "InvoiceNumberCounter" referencing it', mode="SHARE ROW EXCLUSIVE"),
    Lock("MarketplaceTransaction", "ADD CONSTRAINT ... CHECK ... NOT VALID (three CHECKs, no scan)"),
    Online("MarketplaceTransaction", "VALIDATE CONSTRAINT (three CHECKs)"),
    Online("Invoice", f"{INDEX} built CONCURRENTLY"),
]

COUNTER_TABLE = """
CREATE TABLE IF NOT EXISTS "InvoiceNumberCounter" (
    tenant_id INTEGER NOT NULL,
    last_number BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT "InvoiceNumberCounter_pkey" PRIMARY KEY (tenant_id),
    CONSTRAINT "InvoiceNumberCounter_last_number_check" CHECK (last_number >= 0),
    CONSTRAINT "InvoiceNumberCounter_tenant_id_fkey" FOREIGN KEY (tenant_id)
        REFERENCES "Tenant"(id) ON DELETE CASCADE
)
"""


def _refuse_rows_breaking(bind, name: str) -> None:
    # Offline (`--sql`) nothing can be counted: VALIDATE CONSTRAINT itself is the check.
    breaking = not context.is_offline_mode() and CHECKS[name].find(Catalog(bind))
    if breaking:
        raise CommandError(
            f"{breaking.message}, so it cannot be validated. Fix those rows, then run `db upgrade` again."
        )


def _refuse_duplicate_invoices(bind) -> None:
    duplicates = not context.is_offline_mode() and ONE_INVOICE.find(Catalog(bind))
    if duplicates:
        raise CommandError(
            f'{duplicates.details["groups"]} "MarketplaceTransaction" row(s) have more than one "Invoice" '
            "(soft-deleted ones included), "
            f'so "{INDEX}" cannot be built. Leave one invoice per transaction (clear "marketplaceTransactionId" '
            "on the others), then run `db upgrade` again."
        )


def upgrade():
    bind = op.get_bind()
    op.execute(COUNTER_TABLE)
    op.execute(
        'ALTER TABLE "MarketplaceTransaction" '
        + ", ".join(
            f'DROP CONSTRAINT IF EXISTS "{name}", ADD CONSTRAINT "{name}" CHECK ({rule}) NOT VALID'
            for name, rule in TRANSACTION_CHECKS.items()
        )
    )

    with op.get_context().autocommit_block():
        for name in TRANSACTION_CHECKS:
            _refuse_rows_breaking(bind, name)
            op.execute(f'ALTER TABLE "MarketplaceTransaction" VALIDATE CONSTRAINT "{name}"')
        _refuse_duplicate_invoices(bind)
        op.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{INDEX}"')
        op.execute(f'CREATE UNIQUE INDEX CONCURRENTLY "{INDEX}" {INDEX_DEFINITION}')


def downgrade():
    # Plain DROP statements: a whole downgrade runs in one transaction (see migrations/env.py).
    op.execute(f'DROP INDEX IF EXISTS "{INDEX}"')
    op.execute(
        'ALTER TABLE "MarketplaceTransaction" '
        + ", ".join(f'DROP CONSTRAINT IF EXISTS "{name}"' for name in TRANSACTION_CHECKS)
    )
    op.execute('DROP TABLE IF EXISTS "InvoiceNumberCounter"')
