"""invoice_line_items: what an invoice is for, line by line (BIGINT money).

Revision ID: 0003_invoice_line_items
Revises: 0002_production_ready_schema
Create Date: 2026-11-26
"""

from alembic import op

from app.preflight import Lock

revision = "0003_invoice_line_items"
down_revision = "0002_production_ready_schema"
branch_labels = None
depends_on = None

# A new, empty table; its foreign keys hold off writes to the tables they reference until the commit.
PREFLIGHT = [
    Lock("Tenant", 'CREATE TABLE "InvoiceLineItem" referencing it', mode="SHARE ROW EXCLUSIVE"),
    Lock("Invoice", 'CREATE TABLE "InvoiceLineItem" referencing it', mode="SHARE ROW EXCLUSIVE"),
]


def upgrade():
    op.execute(
        """
        CREATE TABLE "InvoiceLineItem" (
            "id" SERIAL NOT NULL,
            "tenantId" INTEGER NOT NULL,
            "invoiceId" INTEGER NOT NULL,
            "position" INTEGER NOT NULL DEFAULT 0,
            "description" TEXT NOT NULL,
            "quantity" INTEGER NOT NULL DEFAULT 1,
            "unitPriceCents" BIGINT NOT NULL,
            "amountCents" BIGINT NOT NULL,
            "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
            "updatedAt" TIMESTAMP(3) NOT NULL,
            CONSTRAINT "InvoiceLineItem_pkey" PRIMARY KEY ("id"),
            CONSTRAINT "InvoiceLineItem_quantity_positive_check" CHECK ("quantity" > 0),
            CONSTRAINT "InvoiceLineItem_tenantId_fkey" FOREIGN KEY ("tenantId")
                REFERENCES "Tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE,
            CONSTRAINT "InvoiceLineItem_invoiceId_fkey" FOREIGN KEY ("invoiceId")
                REFERENCES "Invoice"("id") ON DELETE CASCADE
        )
        """
    )
    op.execute(
        'CREATE INDEX "InvoiceLineItem_invoiceId_position_idx" ON "InvoiceLineItem"("invoiceId", "position")'
    )


def downgrade():
    op.execute('DROP TABLE "InvoiceLineItem"')
