"""The invoice and the payment receipt as PDF files (fpdf2, pure Python), with the same words and figures as the
pages: money through app.money.format_money and dates through the app's own `date` filter, so a PDF never
disagrees with the page it was downloaded from.

Text typed by breeders and clients (descriptions, names, notes) is drawn in DejaVu Sans, a Unicode TrueType font
vendored in static/fonts (its licence beside it) and embedded, subset, in every file. Characters the font lacks
(emoji, CJK) are left out of the drawing rather than failing the download.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from flask import current_app
from fpdf import FPDF
from fpdf.enums import Align, TableBordersLayout, XPos, YPos
from fpdf.fonts import FontFace

from app.money import format_money
from documents.totals import invoice_totals
from models import Invoice, Payment, Tenant
from payments.settlement import card_label

FONT = "DejaVu"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
BODY_SIZE = 10
LINE_HEIGHT = 6
MUTED = (90, 90, 90)
BOLD = FontFace(emphasis="BOLD")


def _date(value) -> str:
    """The pages' `date` filter itself, whatever it becomes (a locale): for calendar dates (issued, due)."""
    return current_app.jinja_env.filters["date"](value) or ""


def _day_of(moment) -> str:
    """The pages' `local_date` filter: the reader's calendar day of a moment (when a payment was made)."""
    return current_app.jinja_env.filters["local_date"](moment) or ""


def status_label(invoice: Invoice) -> str:
    """As the status badges read (templates/_invoices/_invoice_status.html)."""
    label = invoice.status.replace("_", " ").capitalize()
    return f"{label}, overdue" if invoice.is_overdue else label


def method_label(payment: Payment) -> str:
    """As the payments tables read it, or the card for an online payment, as its receipt page does."""
    if payment.is_online:
        return card_label(payment)
    return (payment.method or "").replace("_", " ").capitalize()


class _Document(FPDF):
    def __init__(self, title: str, tenant: Tenant) -> None:
        super().__init__(format="Letter", unit="mm")
        fonts = Path(current_app.static_folder or "static") / "fonts"
        for style, file_name in FONT_FILES.items():
            self.add_font(FONT, style, str(fonts / file_name))
        self.set_title(title)
        self.set_author(tenant.name)
        self.set_creator("Breeder portal")
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(18, 18, 18)
        self.add_page()
        self.set_font(FONT, size=BODY_SIZE)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align=Align.C)
        self.set_text_color(0)

    def heading(self, text: str, size: int = 18) -> None:
        self.set_font(FONT, "B", size)
        self.multi_cell(0, size * 0.5, text, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, size=BODY_SIZE)

    def subheading(self, text: str) -> None:
        self.ln(4)
        self.heading(text, 13)
        self.ln(1)

    def muted(self, text: str) -> None:
        self.set_text_color(*MUTED)
        self.paragraph(text)
        self.set_text_color(0)

    def paragraph(self, text: str) -> None:
        self.multi_cell(0, LINE_HEIGHT, text, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def facts(self, rows: Sequence[tuple[str, str]]) -> None:
        """Label and value pairs, as the pages' description lists."""
        self.pairs(
            [(label, value, False) for label, value in rows], (35, 145), Align.L, self.epw, bold_labels=True
        )

    def pairs(
        self,
        rows: Sequence[tuple[str, str, bool]],
        col_widths: tuple[int, int],
        align: Align,
        width: float,
        bold_labels: bool = False,
    ) -> None:
        """Two borderless columns, `align`ed on the page and in their cells; a row marked True is bold."""
        with self.table(
            col_widths=col_widths,
            first_row_as_headings=False,
            borders_layout=TableBordersLayout.NONE,
            text_align=(align, align),
            line_height=LINE_HEIGHT,
            width=width,
            align=align,
        ) as table:
            for label, value, bold in rows:
                row = table.row(style=BOLD if bold else None)
                row.cell(label, style=BOLD if bold_labels else None)
                row.cell(value)

    def grid(self, headings: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[int]) -> None:
        """A table whose first column is text and the others right-aligned figures, as on the pages; the widths
        are proportions of the page's."""
        align = (Align.L, *([Align.R] * (len(headings) - 1)))
        with self.table(
            col_widths=tuple(widths),
            text_align=align,
            line_height=LINE_HEIGHT,
            borders_layout=TableBordersLayout.HORIZONTAL_LINES,
            headings_style=BOLD,
            width=self.epw,
            align=Align.L,
        ) as table:
            table.row(list(headings))
            for values in rows:
                table.row(list(values))

    def file(self) -> bytes:
        return bytes(self.output())


def invoice_pdf(invoice: Invoice, tenant: Tenant) -> bytes:
    """The invoice as its page shows it (templates/_invoices/_invoice_body.html). `invoice` has its line items
    and payments (with their refunds) loaded: the pages' ownership queries load them."""
    currency = invoice.currency
    document = _Document(f"Invoice {invoice.number}", tenant)
    document.heading(f"Invoice {invoice.number}")
    document.muted(f"From {tenant.name}")
    document.ln(2)
    document.facts(
        (
            ("Status", status_label(invoice)),
            ("Billed to", invoice.client_party.name if invoice.client_party else ""),
            ("Issued", _date(invoice.issued_at) or "Not issued"),
            ("Due", _date(invoice.due_at) or "No due date"),
            ("Currency", currency),
        )
    )

    document.subheading("Items")
    if invoice.line_items:
        document.grid(
            ("Description", "Qty", "Unit price", "Amount"),
            [
                (
                    item.description,
                    str(item.quantity),
                    format_money(item.unit_price_cents, currency),
                    format_money(item.amount_cents, currency),
                )
                for item in invoice.line_items
            ],
            (90, 16, 37, 37),
        )
    else:
        document.muted("This invoice has no itemised lines.")

    totals = invoice_totals(invoice)
    document.ln(3)
    document.pairs(
        [
            (
                line.label,
                f"{line.sign.value} {format_money(line.cents, currency)}".strip(),
                line.css_class in ("total-row", "balance-row"),  # bold on the page too
            )
            for line in totals.lines
        ],
        (106, 37),
        Align.R,
        143,
    )
    if totals.deposit is not None:
        document.ln(1)
        document.muted(totals.deposit.sentence)

    document.subheading("Payments")
    if invoice.payments:
        rows = []
        for payment in invoice.payments:
            amount = format_money(payment.amount_cents, currency)
            if payment.refunds and payment.status != "refunded":
                amount += f"\n{format_money(payment.refunded_cents, currency)} refunded"
            rows.append(
                (
                    _day_of(payment.paid_at),
                    (payment.method or "").replace("_", " ").capitalize(),
                    payment.reference or "",
                    payment.status.capitalize(),
                    amount,
                )
            )
        document.grid(("Date", "Method", "Reference", "Status", "Amount"), rows, (34, 34, 42, 28, 42))
    else:
        document.muted("No payments yet.")

    if invoice.notes:
        document.subheading("Notes")
        document.paragraph(invoice.notes)
    return document.file()


def receipt_pdf(payment: Payment, invoice: Invoice, tenant: Tenant) -> bytes:
    """A receipt for money received (templates/_payments/_receipt.html's facts), for any payment that arrived."""
    currency = invoice.currency
    document = _Document(f"Receipt for invoice {invoice.number}", tenant)
    document.heading("Payment receipt")
    document.muted(f"{tenant.name} received this payment")
    document.ln(2)
    facts = [
        ("Amount", format_money(payment.amount_cents, currency)),
        ("Paid by", method_label(payment)),
        ("Date", _day_of(payment.paid_at)),
        ("Invoice", invoice.number),
        ("Billed to", invoice.client_party.name if invoice.client_party else ""),
    ]
    if payment.reference and not payment.is_online:
        facts.append(("Reference", payment.reference))
    if payment.refunds:
        facts.append(("Refunded", format_money(payment.refunded_cents, currency)))
    facts.append(("Balance due now", format_money(invoice.balance_cents, currency)))
    document.facts(facts)
    if payment.overpaid_cents:
        document.ln(2)
        document.paragraph(
            f"This payment was {format_money(payment.overpaid_cents, currency)} more than the invoice still "
            f"owed. {tenant.name} has been told and will refund or credit the difference."
        )
    return document.file()
