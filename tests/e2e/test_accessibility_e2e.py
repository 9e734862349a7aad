"""Every main page of both faces, at phone and desktop widths, as each kind of visitor: axe-core 4.14 (vendored
under tests/e2e/vendor, MPL-2.0) finds no serious or critical violation, and the browser console stays clean (no
errors, no CSP violations, no failed requests)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.e2e.marketplace_pages import WIDTHS, sign_in, sign_in_to_portal, watched_page

AXE = Path(__file__).with_name("vendor") / "axe-core-4.14.1" / "axe.min.js"
SERIOUS = ("serious", "critical")


def _first_link(page: Page, selector: str) -> str:
    href = page.locator(selector).first.get_attribute("href")
    assert href, f"no link matches {selector} on {page.url}"
    return href


def _anonymous(page: Page) -> list[str]:
    page.goto("/listings")
    listing = _first_link(page, ".result-title a, h2 a[href^='/listings/']")
    page.goto(listing)
    provider = _first_link(page, "a[href^='/providers/']")
    return ["/", "/listings?q=grooming", listing, provider, "/login", "/register", "/forgot-password",
            "/portal/sunny-acres/login"]  # fmt: skip


def _buyer(page: Page) -> list[str]:
    sign_in(page, "buyer@example.com")
    page.goto("/messages")
    thread = _first_link(page, ".inbox-link")
    return ["/messages", "/messages?tab=archived", thread, "/account/invoices"]


def _seller(page: Page) -> list[str]:
    sign_in(page, "seller@example.com")
    return ["/dashboard/listings", "/dashboard/listings/new", "/dashboard/sales", "/dashboard/sales/new"]


def _portal_client(page: Page) -> list[str]:
    sign_in_to_portal(page)
    invoice = _first_link(page, "table a[href*='/invoices/']")
    return ["/portal/sunny-acres/invoices", "/portal/sunny-acres/invoices?status=overdue", invoice,
            "/portal/sunny-acres/payments"]  # fmt: skip


VISITORS: dict[str, Callable[[Page], list[str]]] = {
    "anonymous": _anonymous,
    "buyer": _buyer,
    "seller": _seller,
    "portal client": _portal_client,
}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("visitor", VISITORS)
def test_main_pages_have_no_serious_accessibility_violations(browser, live_server, visitor, width):
    # axe is injected as a script: only this context may bypass the CSP, which the console test below keeps.
    context = browser.new_context(base_url=live_server, bypass_csp=True, viewport=WIDTHS[width])
    context.set_default_timeout(20_000)
    try:
        page = context.new_page()
        found: list[str] = []
        for path in VISITORS[visitor](page):
            page.goto(path)
            page.add_script_tag(path=str(AXE))
            violations = page.evaluate(
                "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
                ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)}))"
            )
            found += [
                f"{path}: {v['impact']} {v['id']} {v['nodes']}" for v in violations if v["impact"] in SERIOUS
            ]
        assert found == []

        # The check can fail: an image without alt text on the last page is reported as critical.
        page.evaluate(
            "document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=\"/x.png\">')"
        )
        impacts = page.evaluate(
            "async () => (await axe.run(document, {runOnly: ['image-alt']})).violations.map(v => v.impact)"
        )
        assert impacts == ["critical"]
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("visitor", VISITORS)
def test_main_pages_keep_the_browser_console_clean(new_page, visitor, width):
    page, problems = watched_page(new_page, width)
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    for path in VISITORS[visitor](page):
        page.goto(path)
        page.wait_for_load_state("load")
    assert problems == []
