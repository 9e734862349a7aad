"""The demo client pays a portal invoice by card in a real Chromium, against the real localstripe (its Stripe.js
in the page, its webhook to the live server), and sees "Paid" without reloading."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.payment_pages import (
    back_to_the_paid_invoice,
    enter_card,
    paid_without_reloading,
    pay_in_full,
    watch_for_problems,
)
from tests.stripe_server import CARD_AUTHENTICATE, CARD_OK

PORTAL_PAYMENT = re.compile(r"/portal/sunny-acres/invoices/\d+/payments/\d+$")


def _sign_in_and_open(page: Page, number: str) -> None:
    page.goto("/portal/sunny-acres/login")
    page.get_by_label("E-mail").fill("client@example.com")
    page.get_by_label("Password").fill("demo-password-1")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your invoices")).to_be_visible()
    page.get_by_role("link", name=number).click()
    expect(page.get_by_role("heading", name=f"Invoice {number}")).to_be_visible()


def test_the_demo_client_pays_an_invoice_by_card_and_sees_it_paid(new_page):
    page = new_page()
    problems = watch_for_problems(page)
    _sign_in_and_open(page, "SA-1002")

    pay_in_full(page, "SA-1002", "1670.00", CARD_OK)

    paid_without_reloading(page, PORTAL_PAYMENT, "$1,670.00")
    back_to_the_paid_invoice(page)
    assert problems == []


def test_a_card_that_asks_for_authentication_is_confirmed_in_the_page(new_page):
    page = new_page()
    problems = watch_for_problems(page)
    _sign_in_and_open(page, "SA-1003")
    page.get_by_role("link", name="Pay now").click()
    page.get_by_label("Amount to pay").fill("50")
    enter_card(page, CARD_AUTHENTICATE)
    page.get_by_role("button", name="Pay").click()

    # localstripe's stand-in for the bank's 3-D Secure page.
    page.get_by_role("button", name="Complete authentication").click()

    paid_without_reloading(page, PORTAL_PAYMENT, "$50.00")
    assert problems == []
