"""Where one face serves its invoice and receipt PDFs: the shared templates (the invoice body, the invoice table,
the payment's page) ask this rather than naming a face's endpoints."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import url_for


@dataclass(frozen=True)
class DocumentLinks:
    invoice_endpoint: str
    receipt_endpoint: str
    url_args: Mapping[str, Any] = field(default_factory=dict)

    def invoice_pdf(self, invoice_id: int) -> str:
        return url_for(self.invoice_endpoint, invoice_id=invoice_id, **self.url_args)

    def receipt_pdf(self, invoice_id: int, payment_id: int) -> str:
        return url_for(self.receipt_endpoint, invoice_id=invoice_id, payment_id=payment_id, **self.url_args)


def portal_links(tenant_slug: str) -> DocumentLinks:
    return DocumentLinks(
        "portal.invoice_pdf_download", "portal.receipt_pdf_download", {"tenant_slug": tenant_slug}
    )


MARKETPLACE_LINKS = DocumentLinks("marketplace.my_invoice_pdf", "marketplace.my_receipt_pdf")
