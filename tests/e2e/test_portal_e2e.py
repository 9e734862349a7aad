"""A breeder's client signs in, finds an overdue invoice, sees its payments and signs out (real Chromium)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.marketplace_pages import watch_problems


def test_client_checks_an_overdue_invoice_and_signs_out(new_page):
    page = new_page()
    problems: list[str] = []
    watch_problems(page, problems)
    page.goto("/portal/sunny-acres/invoices")

    expect(page).to_have_url(re.compile(r"/portal/sunny-acres/login\?next="))
    page.get_by_label("E-mail").fill("client@example.com")
    page.get_by_label("Password").fill("demo-password-1")
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(r"/portal/sunny-acres/invoices$"))
    expect(page.get_by_role("heading", name="Your invoices")).to_be_visible()
    expect(page.locator(".amount-due")).to_have_text(re.compile(r"^\$25,0\d\d,\d{3}\.00$"))
    expect(page.get_by_role("link", name="SA-1008")).to_be_visible()

    # The address changes before the page has loaded: htmx wires the tabs up only then, and a click before it
    # would be a plain navigation (seen on a busy CI machine).
    page.wait_for_load_state()
    with page.expect_response(
        lambda response: (
            "status=overdue" in response.url and response.request.headers.get("hx-request") == "true"
        )
    ) as swap:
        page.locator(".tabs").get_by_role("link", name=re.compile("Overdue")).click()
    assert "<html" not in swap.value.text(), "the filter should swap only the list"

    expect(page).to_have_url(re.compile(r"/invoices\?status=overdue$"))
    expect(page.get_by_role("link", name=re.compile("Overdue"))).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("link", name="SA-1008")).to_have_count(0)
    expect(page.get_by_role("link", name="SA-1003")).to_be_visible()

    page.get_by_role("link", name="SA-1004").click()

    expect(page.get_by_role("heading", name="Invoice SA-1004")).to_be_visible()
    payments = page.locator("table.invoice-payments")
    expect(payments).to_contain_text("Card")
    expect(payments).to_contain_text("Succeeded")
    expect(payments).to_contain_text("$1,000.00")
    expect(page.locator(".balance-row")).to_contain_text("$1,865.00")

    page.go_back()
    expect(page).to_have_url(re.compile(r"/invoices\?status=overdue$"))
    expect(page.get_by_role("link", name="SA-1003")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()

    expect(page).to_have_url(re.compile(r"/portal/sunny-acres/login$"))
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    page.goto("/portal/sunny-acres/invoices")
    expect(page).to_have_url(re.compile(r"/portal/sunny-acres/login"))
    assert problems == []  # no CSP violations, no missing assets
