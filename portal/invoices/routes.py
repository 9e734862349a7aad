"""The contact's invoices (list with filters and summary, detail) and payments."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for
from flask.wrappers import Response
from werkzeug.wrappers import Response as BaseResponse

from app.templating import render_page_or_block
from documents.links import portal_links
from documents.pdf import invoice_pdf, receipt_pdf
from documents.responses import pdf_download, safe_filename
from portal import bp
from portal.access import portal_login_required, signed_in_contact
from portal.invoices.cursors import CursorScope
from portal.invoices.forms import FILTER_LABELS, INVOICE_FILTERS, OLD_PAGE_ARG, page_start, parse_filter
from portal.invoices.queries import (
    invoice_for_contact_or_404,
    invoice_page,
    invoice_summary,
    payment_page,
    receipt_for_contact_or_404,
)
from portal.tenancy import portal_tenant

DEFAULT_PAGE_SIZE = 20


def _page_size() -> int:
    return int(current_app.config.get("PORTAL_PAGE_SIZE", DEFAULT_PAGE_SIZE))


@bp.get("/invoices")
@portal_login_required
def invoices(tenant_slug: str) -> str | BaseResponse:
    contact = signed_in_contact()
    status = parse_filter(request.args.get("status"))
    if OLD_PAGE_ARG in request.args:
        return redirect(
            url_for("portal.invoices", tenant_slug=tenant_slug, status=None if status == "all" else status)
        )
    scope = CursorScope.of("invoices", status, contact)
    summary = invoice_summary(contact)
    page = invoice_page(contact, status, page_start(request.args, scope), _page_size(), scope)
    return render_page_or_block(
        "portal/invoices/invoices.html",
        "invoice_list",
        tenant=portal_tenant(),
        summary=summary,
        page=page,
        status=status,
        filters=INVOICE_FILTERS,
        filter_labels=FILTER_LABELS,
        documents=portal_links(tenant_slug),
    )


@bp.get("/invoices/<int:invoice_id>")
@portal_login_required
def invoice(tenant_slug: str, invoice_id: int) -> str:
    found = invoice_for_contact_or_404(signed_in_contact(), invoice_id)
    return render_template(
        "portal/invoices/invoice.html",
        tenant=portal_tenant(),
        invoice=found,
        documents=portal_links(tenant_slug),
    )


@bp.get("/invoices/<int:invoice_id>.pdf")
@portal_login_required
def invoice_pdf_download(tenant_slug: str, invoice_id: int) -> Response:
    found = invoice_for_contact_or_404(signed_in_contact(), invoice_id)
    return pdf_download(invoice_pdf(found, portal_tenant()), safe_filename("invoice", found.number))


@bp.get("/invoices/<int:invoice_id>/payments/<int:payment_id>/receipt.pdf")
@portal_login_required
def receipt_pdf_download(tenant_slug: str, invoice_id: int, payment_id: int) -> Response:
    payment = receipt_for_contact_or_404(signed_in_contact(), invoice_id, payment_id)
    filename = safe_filename("receipt", payment.invoice.number, str(payment.id))
    return pdf_download(receipt_pdf(payment, payment.invoice, portal_tenant()), filename)


@bp.get("/payments")
@portal_login_required
def payments(tenant_slug: str) -> str | BaseResponse:
    if OLD_PAGE_ARG in request.args:
        return redirect(url_for("portal.payments", tenant_slug=tenant_slug))
    contact = signed_in_contact()
    scope = CursorScope.of("payments", "all", contact)
    page = payment_page(contact, page_start(request.args, scope), _page_size(), scope)
    return render_template(
        "portal/invoices/payments.html",
        tenant=portal_tenant(),
        page=page,
        documents=portal_links(tenant_slug),
    )
