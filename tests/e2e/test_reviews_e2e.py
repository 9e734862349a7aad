"""A review from a real deal, in a real browser and without JavaScript tricks: the seller records a sale and marks it
completed; the buyer finds "Write a review" on the sale's card in the conversation, is told what is missing, then
publishes it; the provider page shows it (escaped) in the rating; the seller replies once."""

from __future__ import annotations

import os
import re
import uuid

from playwright.sync_api import expect

from tests.e2e.marketplace_pages import open_conversation_with, sign_in


def test_buyer_reviews_a_completed_sale_from_its_card_and_the_seller_replies(new_page):
    seller = new_page()
    buyer = new_page()
    dialogs: list[str] = []
    buyer.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(seller, "seller@example.com")
    sign_in(buyer, "buyer@example.com")
    description = f"Puppy health check {uuid.uuid4().hex[:6]}"

    # The seller records the sale in the conversation and marks it completed from the sales list.
    open_conversation_with(seller, "Bailey Buyer")
    seller.get_by_text("Record a sale").click()
    seller.fill("#amount", "60")
    seller.fill("#description", description)
    seller.get_by_role("button", name="Record sale").click()
    seller.locator(".deal-card", has_text=description).last.get_by_role(
        "link", name="Manage in Sales"
    ).click()
    seller.locator("tr.sale-row", has_text=description).get_by_role("button", name="Mark completed").click()
    expect(seller.locator(".flash")).to_contain_text("Sale marked completed.")

    # The buyer finds "Write a review" on that sale's card.
    open_conversation_with(buyer, "Sam Seller")
    card = buyer.locator(".deal-card", has_text=description).first
    card.get_by_role("link", name="Write a review").click()
    expect(buyer.get_by_role("heading", name="Review your purchase")).to_be_visible()
    expect(buyer.locator(".review-purchase")).to_contain_text(description)

    # Sent without stars or text: told what is missing, nothing saved.
    buyer.get_by_role("button", name="Publish review").click()
    expect(buyer.locator("#rating-error")).to_have_text("Choose from 1 to 5 stars.")
    expect(buyer.locator("#text-error")).to_have_text("Write a few words about the service.")

    buyer.get_by_label("4 stars: Good").check()
    buyer.fill("#text", "Thorough check <script>alert('x')</script>\nWould book again.")
    buyer.get_by_role("button", name="Publish review").click()
    expect(buyer).to_have_url(re.compile(r"/providers/\d+#review-\d+$"))
    expect(buyer.locator(".flash")).to_contain_text("your review is published")
    review = buyer.locator(".review", has_text="Thorough check")
    expect(review).to_contain_text("<script>alert('x')</script>")  # shown as text, never run
    expect(review).to_contain_text("Bailey B.")
    expect(buyer.locator(".provider-header")).to_contain_text("4.5")  # the demo's 5 and this 4
    expect(buyer.locator(".provider-header")).to_contain_text("(2 reviews)")
    assert dialogs == []
    if os.environ.get("E2E_SCREENSHOTS"):
        buyer.screenshot(
            path=os.path.join(os.environ["E2E_SCREENSHOTS"], "provider-page.png"), full_page=True
        )

    # The seller replies once, from their page.
    seller.goto(buyer.url.split("#")[0])
    seller.locator(".review", has_text="Thorough check").get_by_role("link", name="Reply publicly").click()
    seller.fill("#text", "Thanks, Bailey! See you at the next litter.")
    seller.get_by_role("button", name="Publish reply").click()
    reply = seller.locator(".review", has_text="Thorough check").locator(".review-reply")
    expect(reply).to_contain_text("Reply from Sam Seller")
    expect(
        seller.locator(".review", has_text="Thorough check").get_by_role("link", name="Reply publicly")
    ).to_have_count(0)
