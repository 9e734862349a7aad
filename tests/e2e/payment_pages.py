"""Steps the card-payment e2e tests take in both faces: watch the page for errors (CSP refusals included), type a
card into localstripe's Stripe.js fields, and wait for "Paid" on the payment's page without a reload."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect


def watch_for_problems(page: Page) -> list[str]:
    problems: list[str] = []
    page.on(  # CSP refusals land here too; a failed load is reported by the response listener below
        "console",
        lambda m: (
            m.type == "error" and not m.text.startswith("Failed to load resource") and problems.append(m.text)
        ),
    )
    page.on(
        "response",
        lambda r: (
            r.status >= 400 and not r.url.endswith("/favicon.ico") and problems.append(f"{r.status} {r.url}")
        ),
    )
    return problems


def enter_card(page: Page, number: str) -> None:
    # localstripe's Stripe.js draws plain inputs named by their placeholders (real Stripe.js: one iframe).
    card = page.locator("#card-element")
    card.get_by_placeholder("number").fill(number)
    card.get_by_placeholder("exp_month").fill("12")
    card.get_by_placeholder("exp_year").fill("30")
    card.get_by_placeholder("cvc").fill("123")
    card.get_by_placeholder("postal_code").fill("78701")


def paid_without_reloading(page: Page, status_url: re.Pattern[str], amount: str) -> None:
    """On the payment's page (status_url), "Processing" turns to "Paid" with the receipt by htmx, in place."""
    expect(page).to_have_url(status_url)
    page.evaluate("window.stillThisPage = true")
    expect(page.get_by_role("heading", name=re.compile("^Paid"))).to_be_visible(timeout=20_000)
    assert page.evaluate("window.stillThisPage") is True, "the page reloaded instead of updating in place"
    expect(page.locator(".receipt-amount")).to_have_text(amount)


def pay_in_full(page: Page, number: str, balance: str, card: str) -> None:
    """From an invoice's page: Pay now, the payment page (the balance as the amount, the test cards), the card,
    Pay."""
    page.get_by_role("link", name="Pay now").click()
    expect(page.get_by_role("heading", name=f"Pay invoice {number}")).to_be_visible()
    expect(page.get_by_label("Amount to pay")).to_have_value(balance)
    expect(page.get_by_text("4242 4242 4242 4242")).to_be_visible()
    enter_card(page, card)
    page.get_by_role("button", name="Pay").click()


def back_to_the_paid_invoice(page: Page) -> None:
    """From the receipt to the invoice, which owes nothing now and offers no Pay now."""
    expect(page.locator(".receipt-card")).to_have_text("Visa ending in 4242")
    page.get_by_role("link", name="Back to the invoice").click()
    expect(page.locator(".balance-row")).to_contain_text("$0.00")
    expect(page.get_by_role("link", name="Pay now")).to_have_count(0)
