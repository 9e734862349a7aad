"""The buyer's open inbox shows a seller's new message, and the nav badge counts it, without a reload; the page
stays the same document and the browser reports no problems. At phone and desktop widths."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.marketplace_pages import WIDTHS, open_conversation_with, sign_in, watch_problems


@pytest.mark.parametrize("width", WIDTHS)
def test_an_open_inbox_shows_a_new_message_and_badge_without_a_reload(new_page, width):
    buyer = new_page()
    buyer.set_viewport_size(WIDTHS[width])
    seller = new_page()
    problems: list[str] = []
    watch_problems(buyer, problems)
    sign_in(buyer, "buyer@example.com")
    sign_in(seller, "seller@example.com")

    buyer.goto("/messages")
    buyer.evaluate("window.__sameDocument = true")
    badge = buyer.locator("#nav-inbox [data-unread-badge]")
    before = int(re.sub(r"\D", "", badge.inner_text())) if badge.count() else 0

    open_conversation_with(seller, "Bailey Buyer")
    words = f"Your slot on the 14th is confirmed ({width})."
    seller.fill("#reply-body", words)
    seller.get_by_role("button", name="Send").click()
    expect(seller.locator("#messages .message-mine").last).to_contain_text(words)

    expect(buyer.locator(".inbox-row").first).to_contain_text(words, timeout=15_000)
    expect(badge).to_have_text(re.compile(rf"^{before + 1}\b"))
    assert buyer.evaluate("window.__sameDocument") is True
    assert problems == []
