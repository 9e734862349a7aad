"""What a person on a phone, without JavaScript, or pressing Back would notice: pages fit the screen, controls that
need JavaScript stay away without it, and Back after a live search shows the words that found those results."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.marketplace_pages import page_width, portal_sign_in

PHONE = {"width": 390, "height": 844}


def test_invoice_pages_fit_a_phone_screen_even_for_huge_amounts(new_page):
    page = new_page()
    page.set_viewport_size(PHONE)
    portal_sign_in(page)
    assert page_width(page) <= PHONE["width"]

    page.get_by_role("link", name="SA-1008").click()  # the demo's $25,000,000.00 invoice
    expect(page.get_by_role("heading", name="Invoice SA-1008")).to_be_visible()
    expect(page.locator(".balance-row")).to_contain_text("$25,000,000.00")
    assert page_width(page) <= PHONE["width"]

    page.get_by_role("link", name="Payments").click()
    expect(page.get_by_role("heading", name="Your payments")).to_be_visible()
    assert page_width(page) <= PHONE["width"]


def test_print_button_stays_hidden_without_javascript(browser, live_server):
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    try:
        page = context.new_page()
        portal_sign_in(page)
        page.get_by_role("link", name="SA-1004").click()
        expect(page.get_by_role("heading", name="Invoice SA-1004")).to_be_visible()
        expect(page.get_by_role("button", name="Print this invoice")).to_be_hidden()
    finally:
        context.close()


def test_back_after_two_live_searches_restores_the_first_search_words(new_page):
    visitor = new_page()
    visitor.goto("/listings")
    search = visitor.get_by_label("Search")

    search.press_sequentially("stud", delay=40)
    expect(visitor).to_have_url(re.compile(r"/listings\?q=stud$"))  # empty filters stay out of the address
    search.fill("")
    search.press_sequentially("groom", delay=40)
    expect(visitor).to_have_url(re.compile(r"/listings\?q=groom$"))

    visitor.go_back()

    expect(visitor).to_have_url(re.compile(r"/listings\?q=stud$"))
    expect(visitor.get_by_label("Search")).to_have_value("stud")
    expect(visitor.locator(".results-summary")).to_contain_text("“stud”")
