"""The invoice and receipt documents both faces give: the totals whose arithmetic shows, and the PDFs."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from documents.totals import invoice_totals

    app.jinja_env.globals["invoice_totals"] = invoice_totals
