"""A client downloads SA-1004 as a PDF from its page at phone and desktop widths: the browser saves a PDF whose
totals are the page's."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.documents import pdf_text
from tests.e2e.marketplace_pages import portal_sign_in


@pytest.mark.parametrize("viewport", [{"width": 375, "height": 740}, {"width": 1280, "height": 900}])
def test_the_invoice_page_downloads_its_pdf(new_page, viewport):
    page = new_page()
    page.set_viewport_size(viewport)
    portal_sign_in(page)
    page.get_by_role("link", name="SA-1004").first.click()
    expect(page.get_by_role("heading", name="Invoice SA-1004")).to_be_visible()
    totals = [" ".join(row.split()) for row in page.locator(".line-items tfoot tr").all_inner_texts()]

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the PDF").click()
    download = download_info.value

    assert download.suggested_filename == "invoice-SA-1004.pdf"
    with open(download.path(), "rb") as saved:
        text = " ".join(pdf_text(saved.read()).split())
    assert totals == ["Total $2,865.00", "Paid (deposit included) − $1,000.00", "Balance due = $1,865.00"]
    for row in totals:
        assert row in text
    assert "Sunny Acres Kennels" in text
