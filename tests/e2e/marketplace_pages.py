"""Steps several e2e tests take: sign in with the demo password, open a conversation from the inbox, and collect
what the browser complains about (CSP violations, missing assets)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

PASSWORD = "demo-password-1"
# The two widths the end-to-end tests check a page at.
WIDTHS = {"phone": {"width": 375, "height": 740}, "desktop": {"width": 1280, "height": 900}}


def sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def portal_sign_in(page: Page) -> None:
    """The demo client signs in to Sunny Acres' portal and lands on their invoices."""
    page.goto("/portal/sunny-acres/login")
    page.get_by_label("E-mail").fill("client@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/portal/sunny-acres/invoices$"))


def watched_page(new_page, width: str) -> tuple[Page, list[str]]:
    """A new page at one of WIDTHS, and the list every browser complaint about it lands in (watch_problems)."""
    page = new_page()
    page.set_viewport_size(WIDTHS[width])
    problems: list[str] = []
    watch_problems(page, problems)
    return page, problems


def sign_in_to_portal(page: Page, email: str = "client@example.com", slug: str = "sunny-acres") -> None:
    page.goto(f"/portal/{slug}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"/portal/{slug}/invoices$"))


def open_conversation_with(page: Page, other_name: str) -> None:
    page.goto("/messages")
    page.locator(".inbox-row", has_text=other_name).first.get_by_role("link").click()
    expect(page.locator("#messages")).to_be_visible()


def save_new_listing(
    page: Page,
    title: str,
    description: str,
    *,
    price: str,
    city: str,
    state: str,
    zip_code: str,
    tags: str = "",
) -> None:
    """On the new-listing form: a training class priced per session; Save opens the listing's photos page."""
    page.fill("input[name=title]", title)
    page.fill("textarea[name=description]", description)
    page.select_option("select[name=category]", "training")
    page.select_option("select[name=price_type]", "per_session")
    page.fill("input[name=price]", price)
    page.fill("input[name=city]", city)
    page.select_option("select[name=state]", state)
    page.fill("input[name=zip_code]", zip_code)
    page.fill("input[name=tags]", tags)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name=re.compile("^Photos"))).to_be_visible()


def watch_problems(page: Page, problems: list[str]) -> None:
    """Append to `problems` every console error (a CSP refusal among them) and every failed request but the
    browser's own favicon probe."""
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and not message.text.startswith("Failed to load resource")
            and problems.append(message.text)
        ),
    )
    page.on(
        "response",
        lambda response: (
            response.status >= 400
            and not response.url.endswith("/favicon.ico")
            and problems.append(f"{response.status} {response.url}")
        ),
    )


def page_width(page: Page) -> int:
    """How wide the page lays out, once it has loaded: measured earlier, before the stylesheet applies, a wide
    table or a 480-pixel card photo makes any page wider than a phone."""
    page.wait_for_load_state("load")
    return page.evaluate("document.documentElement.scrollWidth")
