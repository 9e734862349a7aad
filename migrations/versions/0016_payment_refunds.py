"""payment_refunds: money given back on online payments through Stripe's Refund API, whole or in part.

Revision ID: 0016_payment_refunds
Revises: 0015_message_attachments
Create Date: 2026-11-28

- "PaymentRefund", in the billing tables' Prisma style: one row per Stripe refund. "tenantId" → "Tenant" and
  "paymentId" → "Payment" (both ON DELETE RESTRICT ON UPDATE CASCADE: money history is never deleted with its
  payment), "amountCents" BIGINT with CHECK ("amountCents" > 0), "stripeRefundId" VARCHAR(255) NOT NULL,
  "idempotencyKey" VARCHAR(64) (the refund form's), "createdAt"/"updatedAt" TIMESTAMP(3).
- "PaymentRefund_stripeRefundId_key": UNIQUE, so one Stripe refund is recorded once, whoever sees it first (the
  seller's request, the webhook's charge.refunded, the next refund catching up).
- "PaymentRefund_paymentId_idempotencyKey_key": UNIQUE ("paymentId", "idempotencyKey"): a double-submitted
  refund form refunds once; it also serves the foreign key from "Payment" and a payment's refunds.
A new, empty table: nothing is built concurrently. Its foreign keys hold off writes to "Tenant" and "Payment"
until the commit (SHARE ROW EXCLUSIVE, bounded by lock_timeout). No column of an existing table changes: a fully
refunded payment uses the customer's own Payment.status 'refunded'.
"""

from alembic import op

from app.preflight import Lock

revision = "0016_payment_refunds"
down_revision = "0015_message_attachments"
branch_labels = None
depends_on = None

# A new, empty table; its foreign keys hold off writes to the tables they reference until the commit.
PREFLIGHT = [
    Lock("Tenant", 'CREATE TABLE "PaymentRefund" referencing it', mode="SHARE ROW EXCLUSIVE"),
    Lock("Payment", 'CREATE TABLE "PaymentRefund" referencing it', mode="SHARE ROW EXCLUSIVE"),
]


def upgrade():
    op.execute(
        """
        CREATE TABLE "PaymentRefund" (
            "id" SERIAL NOT NULL,
            "tenantId" INTEGER NOT NULL,
            "paymentId" INTEGER NOT NULL,
            "amountCents" BIGINT NOT NULL,
            "stripeRefundId" VARCHAR(255) NOT NULL,
            "idempotencyKey" VARCHAR(64),
            "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
            "updatedAt" TIMESTAMP(3) NOT NULL,
            CONSTRAINT "PaymentRefund_pkey" PRIMARY KEY ("id"),
            CONSTRAINT "PaymentRefund_amountCents_check" CHECK ("amountCents" > 0),
            CONSTRAINT "PaymentRefund_tenantId_fkey" FOREIGN KEY ("tenantId")
                REFERENCES "Tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE,
            CONSTRAINT "PaymentRefund_paymentId_fkey" FOREIGN KEY ("paymentId")
                REFERENCES "Payment"("id") ON DELETE RESTRICT ON UPDATE CASCADE
        )
        """
    )
    op.execute('CREATE UNIQUE INDEX "PaymentRefund_stripeRefundId_key" ON "PaymentRefund"("stripeRefundId")')
    op.execute(
        'CREATE UNIQUE INDEX "PaymentRefund_paymentId_idempotencyKey_key" '
        'ON "PaymentRefund"("paymentId", "idempotencyKey")'
    )


def downgrade():
    # Refunds recorded so far go with the table; their payments keep status 'refunded' where they were.
    op.execute('DROP TABLE IF EXISTS "PaymentRefund"')
