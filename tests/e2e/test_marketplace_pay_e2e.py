"""The demo buyer pays a marketplace invoice from "My invoices" by card in a real Chromium, against the real
localstripe (its Stripe.js in the page, its webhook to the live server), and sees "Paid" without reloading; the
seller then sees the sale completed on the sales list, and refunds part of it by card."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.marketplace_pages import sign_in
from tests.e2e.payment_pages import (
    back_to_the_paid_invoice,
    paid_without_reloading,
    pay_in_full,
    watch_for_problems,
)
from tests.stripe_server import CARD_OK

MARKETPLACE_PAYMENT = re.compile(r"/account/invoices/\d+/payments/\d+$")
SALE = "Semen shipping kit"  # the demo's pending sale invoiced as SA-M002 (demo/data/marketplace.toml)


def test_the_demo_buyer_pays_from_my_invoices_and_the_seller_sees_the_sale_completed(new_page):
    buyer = new_page()
    problems = watch_for_problems(buyer)
    sign_in(buyer, "buyer@example.com")
    buyer.get_by_role("link", name=re.compile(r"^Invoices")).click()
    buyer.get_by_role("link", name="SA-M002").click()
    expect(buyer.get_by_role("heading", name="Invoice SA-M002")).to_be_visible()

    pay_in_full(buyer, "SA-M002", "175.00", CARD_OK)

    paid_without_reloading(buyer, MARKETPLACE_PAYMENT, "$175.00")
    back_to_the_paid_invoice(buyer)
    assert problems == []

    seller = new_page()
    sign_in(seller, "seller@example.com")
    seller.goto("/dashboard/sales")
    row = seller.locator("tr.sale-row", has_text=SALE)
    expect(row.locator(".cell-status")).to_have_text("Completed")
    expect(row).not_to_contain_text("Mark refunded")  # paid by card: refunded through Stripe

    row.get_by_label(re.compile(r"^Refund")).fill("75")
    row.get_by_role("button", name="Refund by card").click()
    expect(seller.locator(".flash")).to_contain_text("Refunded $75.00 to the buyer's card.")
    row = seller.locator("tr.sale-row", has_text=SALE)
    expect(row).to_contain_text("Refunded $75.00")
    expect(row.locator(".cell-status")).to_have_text("Completed")
