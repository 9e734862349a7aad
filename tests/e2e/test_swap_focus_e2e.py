"""After htmx swaps a list, the keyboard stays on the tab that was pressed and a polite live region says what the
list now holds (portal invoice filters, marketplace inbox tabs), at phone and desktop widths."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.marketplace_pages import WIDTHS, sign_in, sign_in_to_portal, watched_page


def _active_element(page: Page) -> dict:
    return page.evaluate(
        """() => ({text: document.activeElement.textContent.replace(/\\s+/g, ' ').trim(),
                  current: document.activeElement.getAttribute('aria-current'),
                  tag: document.activeElement.tagName})"""
    )


def _press_enter_on_tab(page: Page, name: str, url_part: str) -> None:
    page.wait_for_load_state()  # htmx wires links up once the page has loaded; a key press before is a navigation
    tab = page.locator(".tabs").get_by_role("link", name=re.compile(name))
    tab.focus()
    with page.expect_response(
        lambda response: url_part in response.url and response.request.headers.get("hx-request")
    ):
        page.keyboard.press("Enter")
    expect(page.locator(".tabs [aria-current=page]")).to_contain_text(name)


@pytest.mark.parametrize("width", WIDTHS)
def test_enter_on_the_overdue_tab_keeps_focus_on_it_and_announces_the_count(new_page, width):
    page, problems = watched_page(new_page, width)
    sign_in_to_portal(page)
    expected_count = page.locator(".tabs a", has_text="Overdue").locator(".tab-count").inner_text()

    _press_enter_on_tab(page, "Overdue", "status=overdue")

    status = page.locator("#swap-status")
    expect(status).to_have_text(re.compile(rf"^{expected_count} overdue invoices?$"))
    active = _active_element(page)
    assert active["tag"] == "A" and active["current"] == "page" and active["text"].startswith("Overdue")

    # The All tab shows no count: the reader hears the page and how many invoices it shows.
    _press_enter_on_tab(page, "All", "/invoices")
    expect(status).to_have_text(re.compile(r"^All invoices, page 1: \d+ shown$"))
    assert _active_element(page)["current"] == "page"
    assert problems == []


@pytest.mark.parametrize("width", WIDTHS)
def test_enter_on_the_archived_inbox_tab_keeps_focus_on_it_and_announces_it(new_page, width):
    page, problems = watched_page(new_page, width)
    sign_in(page, "buyer@example.com")
    page.goto("/messages")

    _press_enter_on_tab(page, "Archived", "tab=archived")

    expect(page.locator("#swap-status")).to_have_text(
        re.compile(r"^Archived conversations, page 1: \d+ conversations?$")
    )
    active = _active_element(page)
    assert active["tag"] == "A" and active["current"] == "page" and active["text"] == "Archived"
    assert problems == []
