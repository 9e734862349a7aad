"""portal_contact_email: the portal's two hot lookups get their own indexes.

Revision ID: 0005_portal_contact_email
Revises: 0004_thread_per_listing_buyer
Create Date: 2026-11-26

- Sign-in finds a contact by tenant and e-mail, ignoring case: ("tenantId", lower(email)) over live contacts.
- A client's invoice list is newest first: ("clientPartyId", "createdAt" DESC, id DESC) over live invoices, so
  a page is read in order and the scan stops after it, however long the client's history.
Both tables exist and may be large and busy, so the indexes are built CONCURRENTLY (outside a transaction),
and a leftover invalid index from an interrupted build is dropped first.
"""

from alembic import op

from app.preflight import Online

revision = "0005_portal_contact_email"
down_revision = "0004_thread_per_listing_buyer"
branch_labels = None
depends_on = None

INDEXES = {
    "Contact_tenantId_email_lower_idx": 'ON "Contact"("tenantId", lower(email)) WHERE "deletedAt" IS NULL',
    "Invoice_clientPartyId_createdAt_idx": (
        'ON "Invoice"("clientPartyId", "createdAt" DESC, id DESC) WHERE "deletedAt" IS NULL'
    ),
}
PREFLIGHT = [Online(name.split("_")[0], f"{name} built CONCURRENTLY") for name in INDEXES]


def upgrade():
    with op.get_context().autocommit_block():
        for name, definition in INDEXES.items():
            op.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')
            op.execute(f'CREATE INDEX CONCURRENTLY "{name}" {definition}')


def downgrade():
    # Plain DROP INDEX: a whole downgrade runs in one transaction (see migrations/env.py).
    for name in INDEXES:
        op.execute(f'DROP INDEX IF EXISTS "{name}"')
