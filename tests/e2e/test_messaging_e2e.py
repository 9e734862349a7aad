"""Two people in two browsers: the buyer writes, the seller sees the badge and answers, and the buyer's open
page shows the answer and "Seen" without a reload."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.marketplace_pages import open_conversation_with, sign_in


def test_buyer_and_seller_hold_a_live_conversation(new_page):
    buyer = new_page()
    seller = new_page()
    sign_in(buyer, "buyer@example.com")
    sign_in(seller, "seller@example.com")

    open_conversation_with(buyer, "Sam Seller")
    buyer.evaluate("window.__sameDocument = true")
    buyer.get_by_role("button", name="Send").click()  # empty: refused in place, nothing sent
    expect(buyer.locator("#reply-error")).to_have_text("Write a message first.")
    buyer.fill("#reply-body", "Could we do the 14th instead? <b>not bold</b>")
    buyer.get_by_role("button", name="Send").click()
    sent = buyer.locator("#messages .message-mine").last
    expect(sent).to_contain_text("Could we do the 14th instead? <b>not bold</b>")
    expect(buyer.locator("#reply-body")).to_have_value("")

    seller.goto("/")
    badge = seller.locator("[data-unread-badge]")
    expect(badge).to_be_visible()
    assert int(re.sub(r"\D", "", badge.inner_text())) >= 1
    seller.get_by_role("link", name=re.compile("^Inbox")).click()
    seller.locator(".inbox-row", has_text="Bailey Buyer").first.get_by_role("link").click()
    expect(seller.locator("#messages")).to_contain_text("Could we do the 14th instead?")
    seller.fill("#reply-body", "Yes, the 14th works. See https://example.com/calendar")
    seller.get_by_role("button", name="Send").click()
    expect(seller.locator("#messages .message-mine").last).to_contain_text("Yes, the 14th works.")
    expect(seller.locator("[data-unread-badge]")).to_have_count(0)

    # The buyer's page was never reloaded: the reply arrives by polling, with the receipt under their message.
    reply = buyer.locator("#messages .message-theirs").last
    expect(reply).to_contain_text("Yes, the 14th works.", timeout=15_000)
    expect(reply.locator("a[href='https://example.com/calendar']")).to_have_attribute(
        "rel", "nofollow noopener"
    )
    expect(buyer.locator("#messages .message-mine").last.locator(".receipt")).to_have_text("Seen")
    assert buyer.evaluate("window.__sameDocument") is True
    assert buyer.locator("#messages .receipt", has_text="Seen").count() == 1
