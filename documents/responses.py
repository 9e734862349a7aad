"""A PDF as a download: `Content-Type: application/pdf`, an attachment with a filename made only of safe
characters (an invoice number is the breeder's text), never cached (app.security adds no-store and nosniff)."""

from __future__ import annotations

import re

from flask import Response

UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_STEM = 80


def safe_filename(*parts: str) -> str:
    """'invoice', 'SA 10/04 "x"' -> 'invoice-SA-10-04-x.pdf': letters, digits, dot, dash and underscore only."""
    stem = "-".join(UNSAFE.sub("-", part).strip("-.") for part in parts)
    stem = re.sub(r"-{2,}", "-", stem).strip("-.")[:MAX_STEM].rstrip("-.")
    return f"{stem or 'document'}.pdf"


def pdf_download(data: bytes, filename: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
