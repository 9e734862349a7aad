"""Two faces, one browser (real Chromium, phone and desktop): a signed-in portal client who opens the marketplace
sign-in page is told first that signing in will sign them out of the breeder's portal, and marketplace pages show
the marketplace's navigation, never the portal's."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.marketplace_pages import PASSWORD, WIDTHS, sign_in_to_portal, watched_page


@pytest.mark.parametrize("width", WIDTHS)
def test_a_portal_client_is_warned_before_a_marketplace_sign_in_replaces_theirs(new_page, width):
    page, problems = watched_page(new_page, width)
    sign_in_to_portal(page)

    page.goto("/login")
    notice = page.locator(".sign-in-replaces")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Sunny Acres")
    expect(notice).to_contain_text("Signing in here will sign you out of it.")
    nav = page.locator(".site-header")
    expect(nav.get_by_role("link", name="Payments")).to_have_count(0)
    expect(nav.get_by_role("link", name="Your portal")).to_be_visible()

    page.get_by_label("E-mail").fill("buyer@example.com")
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("You were signed out of")).to_be_visible()
    assert problems == []
