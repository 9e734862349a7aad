"""The contact's invoices (list with filters and summary, detail) and payments."""

from __future__ import annotations

from flask import current_app, render_template, request

from app.templating import render_page_or_block
from portal import bp
from portal.access import portal_login_required, signed_in_contact
from portal.invoices.forms import FILTER_LABELS, INVOICE_FILTERS, page_number, parse_filter
from portal.invoices.queries import invoice_for_contact_or_404, invoice_page, invoice_summary, payment_page
from portal.tenancy import portal_tenant

DEFAULT_PAGE_SIZE = 20


def _page_size() -> int:
    return int(current_app.config.get("PORTAL_PAGE_SIZE", DEFAULT_PAGE_SIZE))


@bp.get("/invoices")
@portal_login_required
def invoices(tenant_slug: str) -> str:
    contact = signed_in_contact()
    status = parse_filter(request.args.get("status"))
    summary = invoice_summary(contact)
    page = invoice_page(contact, status, page_number(request.args.get("page")), _page_size())
    return render_page_or_block(
        "portal/invoices/invoices.html",
        "invoice_list",
        tenant=portal_tenant(),
        summary=summary,
        page=page,
        status=status,
        filters=INVOICE_FILTERS,
        filter_labels=FILTER_LABELS,
    )


@bp.get("/invoices/<int:invoice_id>")
@portal_login_required
def invoice(tenant_slug: str, invoice_id: int) -> str:
    found = invoice_for_contact_or_404(signed_in_contact(), invoice_id)
    return render_template("portal/invoices/invoice.html", tenant=portal_tenant(), invoice=found)


@bp.get("/payments")
@portal_login_required
def payments(tenant_slug: str) -> str:
    page = payment_page(signed_in_contact(), page_number(request.args.get("page")), _page_size())
    return render_template("portal/invoices/payments.html", tenant=portal_tenant(), page=page)
