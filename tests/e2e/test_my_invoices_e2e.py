"""The demo buyer on a phone: the nav's Invoices link, their invoices grouped by breeder, one invoice, and the
marketplace badge back to the listing; the pages fit the screen."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.marketplace_pages import page_width

PHONE = {"width": 390, "height": 844}


def test_a_buyer_finds_their_invoices_from_the_nav_on_a_phone(new_page):
    page = new_page()
    page.set_viewport_size(PHONE)
    page.goto("/login")
    page.fill("input[name=email]", "buyer@example.com")
    page.fill("input[name=password]", "demo-password-1")
    page.get_by_role("button", name="Sign in").click()
    assert page_width(page) <= PHONE["width"]

    page.get_by_role("link", name=re.compile(r"^Invoices")).click()
    expect(page.get_by_role("heading", name="Sunny Acres Kennels")).to_be_visible()
    assert page_width(page) <= PHONE["width"]

    page.get_by_role("link", name="SA-1008").click()  # the demo's $25,000,000.00 invoice
    expect(page.locator(".balance-row")).to_contain_text("$25,000,000.00")
    assert page_width(page) <= PHONE["width"]

    page.go_back()
    page.get_by_role("link", name="SA-M001").click()
    page.get_by_role("link", name="From the marketplace").click()
    expect(page).to_have_url(re.compile(r"/listings/\d+$"))
