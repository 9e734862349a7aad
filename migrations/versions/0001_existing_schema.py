"""existing_schema: the customer's tables as they stand before the spec (money still INTEGER).

Revision ID: 0001_existing_schema
Revises:
Create Date: 2026-11-26
"""

from alembic import op

revision = "0001_existing_schema"
down_revision = None
branch_labels = None
depends_on = None

# Pre-flight (app/preflight): it creates every table, so there is nothing existing to check or lock.
PREFLIGHT = []

# Written as the customer's Prisma migration would have created them: quoted camelCase names,
# TIMESTAMP(3), TEXT, and Prisma's default FK actions (RESTRICT on delete, CASCADE on update).
UPGRADE = [
    """
    CREATE TABLE "Tenant" (
        "id" SERIAL NOT NULL,
        "name" TEXT NOT NULL,
        "slug" TEXT NOT NULL,
        "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
        "updatedAt" TIMESTAMP(3) NOT NULL,
        CONSTRAINT "Tenant_pkey" PRIMARY KEY ("id")
    )
    """,
    'CREATE UNIQUE INDEX "Tenant_slug_key" ON "Tenant"("slug")',
    """
    CREATE TABLE "Party" (
        "id" SERIAL NOT NULL,
        "tenantId" INTEGER NOT NULL,
        "type" TEXT NOT NULL,
        "name" TEXT NOT NULL,
        "email" TEXT,
        "phone" TEXT,
        "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
        "updatedAt" TIMESTAMP(3) NOT NULL,
        CONSTRAINT "Party_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "Party_type_check" CHECK ("type" IN ('person', 'organization'))
    )
    """,
    'CREATE INDEX "Party_tenantId_idx" ON "Party"("tenantId")',
    """
    CREATE TABLE "Contact" (
        "id" SERIAL NOT NULL,
        "tenantId" INTEGER NOT NULL,
        "partyId" INTEGER NOT NULL,
        "firstName" TEXT,
        "lastName" TEXT,
        "email" TEXT,
        "phone" TEXT,
        "marketplaceUserId" INTEGER,
        "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
        "updatedAt" TIMESTAMP(3) NOT NULL,
        CONSTRAINT "Contact_pkey" PRIMARY KEY ("id")
    )
    """,
    'CREATE INDEX "Contact_partyId_idx" ON "Contact"("partyId")',
    'CREATE INDEX "Contact_marketplaceUserId_idx" ON "Contact"("marketplaceUserId")',
    """
    CREATE TABLE "Invoice" (
        "id" SERIAL NOT NULL,
        "tenantId" INTEGER NOT NULL,
        "clientPartyId" INTEGER,
        "number" TEXT NOT NULL,
        "status" TEXT NOT NULL DEFAULT 'draft',
        "amountCents" INTEGER NOT NULL,
        "balanceCents" INTEGER NOT NULL,
        "depositCents" INTEGER,
        "currency" TEXT NOT NULL DEFAULT 'USD',
        "issuedAt" TIMESTAMP(3),
        "dueAt" TIMESTAMP(3),
        "notes" TEXT,
        "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
        "updatedAt" TIMESTAMP(3) NOT NULL,
        CONSTRAINT "Invoice_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "Invoice_status_check"
            CHECK ("status" IN ('draft', 'issued', 'partially_paid', 'paid', 'void'))
    )
    """,
    'CREATE UNIQUE INDEX "Invoice_tenantId_number_key" ON "Invoice"("tenantId", "number")',
    """
    CREATE TABLE "Payment" (
        "id" SERIAL NOT NULL,
        "tenantId" INTEGER NOT NULL,
        "invoiceId" INTEGER NOT NULL,
        "amountCents" INTEGER NOT NULL,
        "status" TEXT NOT NULL DEFAULT 'pending',
        "method" TEXT,
        "paidAt" TIMESTAMP(3),
        "reference" TEXT,
        "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
        "updatedAt" TIMESTAMP(3) NOT NULL,
        CONSTRAINT "Payment_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "Payment_status_check" CHECK ("status" IN ('pending', 'succeeded', 'failed', 'refunded'))
    )
    """,
    """ALTER TABLE "Party" ADD CONSTRAINT "Party_tenantId_fkey" FOREIGN KEY ("tenantId")
       REFERENCES "Tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE""",
    """ALTER TABLE "Contact" ADD CONSTRAINT "Contact_tenantId_fkey" FOREIGN KEY ("tenantId")
       REFERENCES "Tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE""",
    """ALTER TABLE "Contact" ADD CONSTRAINT "Contact_partyId_fkey" FOREIGN KEY ("partyId")
       REFERENCES "Party"("id") ON DELETE RESTRICT ON UPDATE CASCADE""",
    """ALTER TABLE "Invoice" ADD CONSTRAINT "Invoice_tenantId_fkey" FOREIGN KEY ("tenantId")
       REFERENCES "Tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE""",
    """ALTER TABLE "Invoice" ADD CONSTRAINT "Invoice_clientPartyId_fkey" FOREIGN KEY ("clientPartyId")
       REFERENCES "Party"("id") ON DELETE SET NULL ON UPDATE CASCADE""",
    """ALTER TABLE "Payment" ADD CONSTRAINT "Payment_tenantId_fkey" FOREIGN KEY ("tenantId")
       REFERENCES "Tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE""",
    """ALTER TABLE "Payment" ADD CONSTRAINT "Payment_invoiceId_fkey" FOREIGN KEY ("invoiceId")
       REFERENCES "Invoice"("id") ON DELETE RESTRICT ON UPDATE CASCADE""",
]


def upgrade():
    for statement in UPGRADE:
        op.execute(statement)


def downgrade():
    for table in ("Payment", "Invoice", "Contact", "Party", "Tenant"):
        op.execute(f'DROP TABLE "{table}"')
