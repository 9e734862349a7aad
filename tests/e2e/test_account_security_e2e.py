"""Account security in a real Chromium: a new marketplace user turns on two-factor sign-in from the QR code page
(reading the key as a person would type it) and signs in with a code; and a portal client who signs out in one
browser ends the same cookie in another."""

from __future__ import annotations

import re
import time

import pyotp
from playwright.sync_api import expect

from tests.e2e.marketplace_pages import PASSWORD, watch_problems

NEW_PASSWORD = "velvet otter meadow 92 lantern"


def test_a_user_turns_on_two_factor_sign_in_and_signs_in_with_a_code(new_page):
    page = new_page()
    problems: list[str] = []
    watch_problems(page, problems)
    email = f"two-factor-{time.time_ns()}@example.com"
    page.goto("/register")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_label("First name").fill("Tess")
    page.get_by_label("Last name").fill("Totp")
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/register/check-email$"))
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("link", name="Tess Totp").click()
    expect(page.get_by_role("heading", name="Security", exact=True)).to_be_visible()
    page.get_by_role("button", name="Set up two-factor sign-in").click()
    expect(page.locator("figure.qr-code svg")).to_be_visible()
    secret = page.locator("[data-totp-secret]").inner_text()
    totp = pyotp.TOTP(secret)
    page.get_by_label("Code from your app").fill(totp.now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()

    expect(page.get_by_role("heading", name="Two-factor sign-in is on")).to_be_visible()
    expect(page.locator("[data-recovery-codes] li")).to_have_count(10)
    page.get_by_role("link", name="I have saved them").click()
    expect(page.locator("[data-two-factor=on]")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/login/two-factor$"))
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)  # not signed in before the code
    # The enrolment used this 30-second step's code; the app accepts the next step's (clock drift), not a replay.
    page.get_by_label("Code from your app").fill(totp.at(time.time() + 30))
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.get_by_role("link", name="Tess Totp").click()
    events = page.locator(".security-events")
    expect(events).to_contain_text("Two-factor sign-in turned on")
    expect(events).to_contain_text("Signed in")
    assert problems == []  # the inline SVG QR code needs no CSP exception


def test_signing_out_in_one_browser_ends_the_same_cookie_in_another(new_page):
    first = new_page()
    first.goto("/portal/sunny-acres/login")
    first.get_by_label("E-mail").fill("client@example.com")
    first.get_by_label("Password").fill(PASSWORD)
    first.get_by_role("button", name="Sign in").click()
    expect(first.get_by_role("heading", name="Your invoices")).to_be_visible()

    second = new_page()
    second.context.add_cookies(first.context.cookies())
    second.goto("/portal/sunny-acres/invoices")
    expect(second.get_by_role("heading", name="Your invoices")).to_be_visible()

    first.get_by_role("button", name="Sign out").click()
    expect(first.get_by_text("You are signed out.")).to_be_visible()

    second.reload()
    expect(second).to_have_url(re.compile(r"/portal/sunny-acres/login"))
    expect(second.get_by_role("heading", name="Your invoices")).to_have_count(0)
