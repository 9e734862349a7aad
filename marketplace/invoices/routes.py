"""My invoices: a signed-in marketplace user's invoices from every breeder linked to them, and one invoice."""

from __future__ import annotations

from flask import render_template
from flask.wrappers import Response

from documents.links import MARKETPLACE_LINKS
from documents.pdf import invoice_pdf, receipt_pdf
from documents.responses import pdf_download, safe_filename
from marketplace import bp
from marketplace.access import marketplace_login_required, signed_in_marketplace_user
from marketplace.invoices.queries import (
    PER_BREEDER_LIMIT,
    invoice_for_marketplace_user_or_404,
    invoices_by_breeder,
    receipt_for_marketplace_user_or_404,
)


@bp.get("/account/invoices")
@marketplace_login_required
def my_invoices() -> str:
    breeders = invoices_by_breeder(signed_in_marketplace_user())
    return render_template(
        "marketplace/invoices/invoices.html",
        breeders=breeders,
        per_breeder_limit=PER_BREEDER_LIMIT,
        documents=MARKETPLACE_LINKS,
    )


@bp.get("/account/invoices/<int:invoice_id>")
@marketplace_login_required
def my_invoice(invoice_id: int) -> str:
    found = invoice_for_marketplace_user_or_404(signed_in_marketplace_user(), invoice_id)
    return render_template(
        "marketplace/invoices/invoice.html", invoice=found, tenant=found.tenant, documents=MARKETPLACE_LINKS
    )


@bp.get("/account/invoices/<int:invoice_id>.pdf")
@marketplace_login_required
def my_invoice_pdf(invoice_id: int) -> Response:
    found = invoice_for_marketplace_user_or_404(signed_in_marketplace_user(), invoice_id)
    return pdf_download(invoice_pdf(found, found.tenant), safe_filename("invoice", found.number))


@bp.get("/account/invoices/<int:invoice_id>/payments/<int:payment_id>/receipt.pdf")
@marketplace_login_required
def my_receipt_pdf(invoice_id: int, payment_id: int) -> Response:
    payment = receipt_for_marketplace_user_or_404(signed_in_marketplace_user(), invoice_id, payment_id)
    invoice = payment.invoice
    filename = safe_filename("receipt", invoice.number, str(payment.id))
    return pdf_download(receipt_pdf(payment, invoice, invoice.tenant), filename)
