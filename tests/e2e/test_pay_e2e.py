"""The demo client pays a portal invoice by card in a real Chromium, against the real localstripe (its Stripe.js
in the page, its webhook to the live server), and sees "Paid" without reloading."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.stripe_server import CARD_AUTHENTICATE, CARD_OK


def _watch_for_problems(page: Page) -> list[str]:
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


def _sign_in_and_open(page: Page, number: str) -> None:
    page.goto("/portal/sunny-acres/login")
    page.get_by_label("E-mail").fill("client@example.com")
    page.get_by_label("Password").fill("demo-password-1")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your invoices")).to_be_visible()
    page.get_by_role("link", name=number).click()
    expect(page.get_by_role("heading", name=f"Invoice {number}")).to_be_visible()


def _enter_card(page: Page, number: str) -> None:
    # localstripe's Stripe.js draws plain inputs named by their placeholders (real Stripe.js: one iframe).
    card = page.locator("#card-element")
    card.get_by_placeholder("number").fill(number)
    card.get_by_placeholder("exp_month").fill("12")
    card.get_by_placeholder("exp_year").fill("30")
    card.get_by_placeholder("cvc").fill("123")
    card.get_by_placeholder("postal_code").fill("78701")


def _paid_without_reloading(page: Page, amount: str) -> None:
    expect(page).to_have_url(re.compile(r"/portal/sunny-acres/invoices/\d+/payments/\d+$"))
    page.evaluate("window.stillThisPage = true")
    expect(page.get_by_role("heading", name=re.compile("^Paid"))).to_be_visible(timeout=20_000)
    assert page.evaluate("window.stillThisPage") is True, "the page reloaded instead of updating in place"
    expect(page.locator(".receipt-amount")).to_have_text(amount)


def test_the_demo_client_pays_an_invoice_by_card_and_sees_it_paid(new_page):
    page = new_page()
    problems = _watch_for_problems(page)
    _sign_in_and_open(page, "SA-1002")

    page.get_by_role("link", name="Pay now").click()
    expect(page.get_by_role("heading", name="Pay invoice SA-1002")).to_be_visible()
    expect(page.get_by_label("Amount to pay")).to_have_value("1670.00")
    expect(page.get_by_text("4242 4242 4242 4242")).to_be_visible()
    _enter_card(page, CARD_OK)
    page.get_by_role("button", name="Pay").click()

    _paid_without_reloading(page, "$1,670.00")
    expect(page.locator(".receipt-card")).to_have_text("Visa ending in 4242")
    page.get_by_role("link", name="Back to the invoice").click()
    expect(page.locator(".balance-row")).to_contain_text("$0.00")
    expect(page.get_by_role("link", name="Pay now")).to_have_count(0)
    assert problems == []


def test_a_card_that_asks_for_authentication_is_confirmed_in_the_page(new_page):
    page = new_page()
    problems = _watch_for_problems(page)
    _sign_in_and_open(page, "SA-1003")
    page.get_by_role("link", name="Pay now").click()
    page.get_by_label("Amount to pay").fill("50")
    _enter_card(page, CARD_AUTHENTICATE)
    page.get_by_role("button", name="Pay").click()

    # localstripe's stand-in for the bank's 3-D Secure page.
    page.get_by_role("button", name="Complete authentication").click()

    _paid_without_reloading(page, "$50.00")
    assert problems == []
