"""My invoices: a signed-in marketplace user's invoices from every breeder linked to them, and one invoice."""

from __future__ import annotations

from flask import render_template

from marketplace import bp
from marketplace.access import marketplace_login_required, signed_in_marketplace_user
from marketplace.invoices.queries import (
    PER_BREEDER_LIMIT,
    invoice_for_marketplace_user_or_404,
    invoices_by_breeder,
)


@bp.get("/account/invoices")
@marketplace_login_required
def my_invoices() -> str:
    breeders = invoices_by_breeder(signed_in_marketplace_user())
    return render_template(
        "marketplace/invoices/invoices.html", breeders=breeders, per_breeder_limit=PER_BREEDER_LIMIT
    )


@bp.get("/account/invoices/<int:invoice_id>")
@marketplace_login_required
def my_invoice(invoice_id: int) -> str:
    found = invoice_for_marketplace_user_or_404(signed_in_marketplace_user(), invoice_id)
    return render_template("marketplace/invoices/invoice.html", invoice=found, tenant=found.tenant)
