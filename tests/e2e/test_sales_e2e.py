"""A sale in a conversation, live: the seller records it and invoices it; the buyer, with the conversation open in
another browser, sees the deal card appear and then update, without reloading."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from tests.e2e.marketplace_pages import open_conversation_with, sign_in


def test_seller_records_and_invoices_a_sale_and_the_buyer_sees_the_card_live(new_page):
    buyer = new_page()
    seller = new_page()
    sign_in(buyer, "buyer@example.com")
    sign_in(seller, "seller@example.com")
    open_conversation_with(buyer, "Sam Seller")
    buyer.evaluate("window.__sameDocument = true")
    open_conversation_with(seller, "Bailey Buyer")
    description = f"Stud service {uuid.uuid4().hex[:6]}"

    # The form is fetched when "Record a sale" opens, not sent with every view of the conversation.
    expect(seller.locator("#amount")).to_have_count(0)
    seller.get_by_text("Record a sale").click()
    expect(seller.locator("details.thread-sale #amount")).to_be_visible()
    # Refused in place first (no amount), then recorded.
    seller.fill("#amount", "")
    seller.fill("#description", description)
    seller.get_by_role("button", name="Record sale").click()
    expect(seller.locator("#amount-error")).to_have_text("Enter an amount.")
    seller.fill("#amount", "1,250")  # whole dollars: the portal e2e reads the demo client's total
    seller.get_by_role("button", name="Record sale").click()
    card = seller.locator(".deal-card", has_text=description).last
    expect(card).to_contain_text("$1,250.00")
    sale_class = next(c for c in card.get_attribute("class").split() if re.fullmatch(r"deal-\d+", c))

    # The buyer's open page receives the card by polling.
    buyer_cards = buyer.locator(f".{sale_class}")
    expect(buyer_cards.first).to_contain_text("Sale pending", timeout=15_000)
    expect(buyer.locator("#messages")).to_contain_text(f"Recorded a sale: $1,250.00 — {description}")

    # The seller invoices it from the sales list.
    seller.get_by_role("link", name="Manage in Sales").last.click()
    row = seller.locator("tr.sale-row", has_text=description)
    row.get_by_role("button", name="Create invoice").click()
    expect(seller.locator(".flash")).to_contain_text(re.compile(r"Invoice SA-M\d{3} created\."))
    number = re.search(r"SA-M\d{3}", seller.locator(".flash").inner_text()).group(0)
    expect(seller.locator("tr.sale-row", has_text=description)).to_contain_text(number)

    # Without a reload, the buyer sees the event and every card of the sale (the first one too) shows the invoice.
    expect(buyer.locator("#messages")).to_contain_text(f"Invoice {number} issued", timeout=15_000)
    expect(buyer_cards).to_have_count(2)
    for index in range(2):
        expect(buyer_cards.nth(index)).to_contain_text(number)
    assert buyer.evaluate("window.__sameDocument") is True


def test_without_javascript_record_a_sale_opens_its_form_on_a_page_of_its_own(browser, live_server):
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    context.set_default_timeout(20_000)
    try:
        seller = context.new_page()
        sign_in(seller, "seller@example.com")
        open_conversation_with(seller, "Bailey Buyer")
        description = f"Grooming {uuid.uuid4().hex[:6]}"

        seller.get_by_text("Record a sale").click()
        seller.get_by_role("link", name="Open the sale form").click()
        expect(seller.get_by_role("heading", name="Record a sale")).to_be_visible()
        seller.fill("#amount", "")
        seller.fill("#description", description)
        seller.get_by_role("button", name="Record sale").click()
        expect(seller.locator("#amount-error")).to_have_text("Enter an amount.")
        expect(seller.locator("#description")).to_have_value(description)  # what was typed stays
        seller.fill("#amount", "75")
        seller.get_by_role("button", name="Record sale").click()
        expect(seller.locator(".deal-card", has_text=description).last).to_contain_text("$75.00")
    finally:
        context.close()
