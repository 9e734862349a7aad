"""An invoice's totals as lines whose arithmetic a reader can follow: each line's amount is added to (or taken
from) the one before, and the last is the balance due. The invoice page and its PDF both print these lines.

What the numbers mean (docs/schema-notes.md, "What depositCents means"): `depositCents` is the deposit the
breeder asks for up front, a part of the total; money received, the deposit included, is recorded as Payments.
So the balance due is the total less the payments applied, and the deposit is a note beside the arithmetic, never
a line of it. A row whose stored balance says otherwise (written by the breeder's own app, or a void invoice)
shows the difference on a line of its own, so the lines still add up to what the invoice says is due.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.money import format_money
from models import Invoice, InvoiceStatus


class Sign(StrEnum):
    START = ""
    PLUS = "+"
    MINUS = "−"  # a real minus sign, as on a printed statement
    EQUALS = "="


@dataclass(frozen=True)
class TotalLine:
    label: str
    cents: int  # never negative: the sign says which way it goes
    sign: Sign
    css_class: str


@dataclass(frozen=True)
class DepositNote:
    requested_cents: int
    unpaid_cents: int  # what of the deposit the payments do not cover yet
    currency: str

    @property
    def sentence(self) -> str:
        requested = format_money(self.requested_cents, self.currency)
        if self.unpaid_cents:
            unpaid = format_money(self.unpaid_cents, self.currency)
            return f"Deposit asked up front: {requested}, part of the total; {unpaid} of it is still to pay."
        return f"Deposit asked up front: {requested}, part of the total; it is paid."


@dataclass(frozen=True)
class InvoiceTotals:
    lines: list[TotalLine]
    deposit: DepositNote | None

    def adds_up(self) -> bool:
        """The lines' arithmetic, as a reader would do it: start, then add or take away, ending at the balance."""
        running = 0
        for line in self.lines:
            if line.sign is Sign.START:
                running = line.cents
            elif line.sign is Sign.PLUS:
                running += line.cents
            elif line.sign is Sign.MINUS:
                running -= line.cents
            elif line.cents != running:
                return False
        return True


def _signed(label: str, cents: int, css_class: str) -> TotalLine:
    return TotalLine(label, abs(cents), Sign.MINUS if cents < 0 else Sign.PLUS, css_class)


def invoice_totals(invoice: Invoice) -> InvoiceTotals:
    """The lines for one invoice, from its line items, payments (loaded) and stored balance."""
    lines: list[TotalLine] = []
    items_cents = sum(item.amount_cents for item in invoice.line_items)
    if invoice.line_items and items_cents != invoice.amount_cents:
        lines.append(TotalLine("Items", items_cents, Sign.START, "items-row"))
        lines.append(
            _signed("Other charges and discounts", invoice.amount_cents - items_cents, "adjustment-row")
        )
        lines.append(TotalLine("Total", invoice.amount_cents, Sign.EQUALS, "total-row"))
    else:
        lines.append(TotalLine("Total", invoice.amount_cents, Sign.START, "total-row"))

    paid_cents = sum(payment.applied_cents for payment in invoice.payments)
    refunded = any(payment.refunds for payment in invoice.payments)
    if paid_cents:
        label = "Paid, less refunds" if refunded else "Paid"
        if invoice.deposit_cents:
            label += " (deposit included)"
        lines.append(TotalLine(label, paid_cents, Sign.MINUS, "paid-row"))

    difference = invoice.balance_cents - (invoice.amount_cents - paid_cents)
    if difference:
        if invoice.status == InvoiceStatus.VOID and invoice.balance_cents == 0:
            lines.append(TotalLine("Voided", -difference, Sign.MINUS, "adjustment-row"))
        else:
            label = "Other charges" if difference > 0 else "Other credits"
            lines.append(_signed(label, difference, "adjustment-row"))
    lines.append(TotalLine("Balance due", invoice.balance_cents, Sign.EQUALS, "balance-row"))

    deposit = None
    if invoice.deposit_cents:
        deposit = DepositNote(
            invoice.deposit_cents, max(0, invoice.deposit_cents - paid_cents), invoice.currency
        )
    return InvoiceTotals(lines, deposit)
