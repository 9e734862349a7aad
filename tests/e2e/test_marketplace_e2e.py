"""A seller registers, confirms the address, creates and publishes a listing; an anonymous visitor finds it
by typing in the search box, opens it, goes Back and sees the same results."""

from __future__ import annotations

import logging
import re
import secrets

import pytest
from playwright.sync_api import expect

from tests.e2e.marketplace_pages import save_new_listing

LINK_RE = re.compile(r"https?://\S+/verify-email/\S+")


def _verification_link(caplog: pytest.LogCaptureFixture, email: str) -> str:
    # The live app has no MAIL_SERVER, so app.mail logs each message; the server thread shares this process.
    for record in reversed(caplog.records):
        message = record.getMessage()
        if record.name == "app.mail" and email in message:
            match = LINK_RE.search(message)
            if match:
                return match.group(0)
    raise AssertionError(f"no verification mail for {email} in the log")


def test_seller_publishes_and_a_visitor_finds_it_by_live_search(new_page, caplog):
    caplog.set_level(logging.INFO, logger="app.mail")
    email = f"e2e-seller-{secrets.token_hex(4)}@example.com"
    title = "Quillfeather whippet lure coursing"

    seller = new_page()
    seller.goto("/register")
    seller.fill("input[name=email]", email)
    seller.fill("input[name=password]", "marigold-tractor-lantern-58")
    seller.fill("input[name=first_name]", "Erin")
    seller.fill("input[name=last_name]", "Tester")
    seller.check("input[name=user_type][value=service_provider]")
    seller.get_by_role("button", name="Create account").click()
    expect(seller.get_by_role("heading", name="Check your e-mail")).to_be_visible()

    seller.goto(_verification_link(caplog, email))
    seller.get_by_role("button", name="Confirm my e-mail").click()
    expect(seller.get_by_role("heading", name="My listings")).to_be_visible()

    seller.get_by_role("link", name="New listing").click()
    save_new_listing(
        seller,
        title,
        "Weekend lure coursing practice for sighthounds.",
        price="35",
        city="Boise",
        state="ID",
        zip_code="83702",
        tags="whippet, coursing",
    )
    seller.goto("/dashboard/listings")
    row = seller.get_by_role("row").filter(has_text=title)
    row.get_by_role("button", name="Publish").click()
    expect(seller.get_by_role("row").filter(has_text=title).get_by_text("active")).to_be_visible()

    visitor = new_page()
    visitor.goto("/listings")
    search = visitor.get_by_label("Search")
    search.press_sequentially("quillfea", delay=40)  # a prefix: the visitor is still typing
    result = visitor.get_by_role("link", name=title)
    expect(result).to_be_visible()
    expect(visitor).to_have_url(re.compile(r"/listings\?.*q=quillfea"))

    result.click()
    expect(visitor.get_by_role("heading", name=title)).to_be_visible()
    expect(visitor.get_by_text("$35.00 / session")).to_be_visible()

    visitor.go_back()
    expect(visitor).to_have_url(re.compile(r"/listings\?.*q=quillfea"))
    expect(visitor.get_by_label("Search")).to_have_value("quillfea")
    expect(visitor.get_by_role("link", name=title)).to_be_visible()
