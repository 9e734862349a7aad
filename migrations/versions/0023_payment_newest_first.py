"""payment_newest_first: a breeder's payments newest first, for the portal's keyset payment list.

Revision ID: 0023_payment_newest_first
Revises: 0022_row_level_security
Create Date: 2026-11-27

The portal lists a client's payments by (paidAt DESC NULLS LAST, id DESC), a page at a time from a cursor
(portal/invoices/keyset.py). Payment carries no client, so without an index in that order every page, the first
as much as the last, joined and sorted all of the tenant's payments. ("tenantId", paidAt or '-infinity', id),
read backward, is that order (a missing paidAt sorts last), so a page is an index range from the cursor on,
each row checked against its invoice's client by primary key. For a client with few payments in a
large tenant, the planner still starts from the client's invoices instead (Invoice_clientPartyId_status_idx).
The missing paidAt is spelled CASE, not COALESCE: under row-level security PostgreSQL uses a query's condition
in an index scan only if it is leakproof, and it counts a COALESCE as possibly leaky but not a CASE, so with
COALESCE the cursor's bound became a filter over all of the tenant's payments (the page stayed slow).

Payment exists and may be large and busy, so the index is built CONCURRENTLY (in an autocommit block), after
dropping a leftover invalid index from an interrupted build.
"""

from alembic import op

from app.preflight import Online

revision = "0023_payment_newest_first"
down_revision = "0022_row_level_security"
branch_labels = None
depends_on = None

NAME = "Payment_tenantId_paidAt_idx"
PAID_AT_OR_NEVER = """(CASE WHEN "paidAt" IS NULL THEN '-infinity'::timestamp ELSE "paidAt" END)"""
# Ascending: scanned backward, it serves ORDER BY ... DESC, id DESC (and the Newer direction forward).
DEFINITION = f'ON "Payment"("tenantId", {PAID_AT_OR_NEVER}, id)'
PREFLIGHT = [Online("Payment", f"{NAME} built CONCURRENTLY")]


def upgrade():
    with op.get_context().autocommit_block():
        op.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{NAME}"')
        op.execute(f'CREATE INDEX CONCURRENTLY "{NAME}" {DEFINITION}')


def downgrade():
    # Plain DROP INDEX: a whole downgrade runs in one transaction (see migrations/env.py).
    op.execute(f'DROP INDEX IF EXISTS "{NAME}"')
