"""Browse on a phone puts results first (real Chromium at 375 px): the first result shows in the first screen, the
category chips are one scrolling row, "Filters (n)" opens without JavaScript, and "Next" lands on the results.
On a desktop the filters are open."""

from __future__ import annotations

from playwright.sync_api import expect

PHONE = {"width": 375, "height": 740}


def test_a_phone_sees_results_first_and_next_keeps_it_at_the_results(new_page):
    page = new_page()
    page.set_viewport_size(PHONE)
    page.goto("/listings")
    page.wait_for_load_state("load")

    first_result = page.locator(".results-list > li").first
    assert first_result.bounding_box()["y"] < PHONE["height"], (
        "the first result should be in the first screen"
    )
    expect(page.locator("details.browse-filters")).not_to_have_attribute("open", "")
    chips = page.locator("ul.facets")
    one_chip = chips.locator("li").first.bounding_box()["height"]
    assert chips.bounding_box()["height"] < 2 * one_chip + 12, "the category chips should be one row"
    assert page.evaluate(
        "document.querySelector('ul.facets').scrollWidth > document.querySelector('ul.facets').clientWidth"
    )

    page.get_by_role("link", name="Next").click()
    page.wait_for_load_state("load")
    assert page.url.endswith("#results")
    top = page.evaluate("document.getElementById('results').getBoundingClientRect().top")
    assert -5 <= top <= 60, f"the results should start at the top of the screen, not {top}px down"


def test_the_filters_open_without_javascript(browser, live_server):
    context = browser.new_context(base_url=live_server, java_script_enabled=False, viewport=PHONE)
    try:
        page = context.new_page()
        page.goto("/listings?category=grooming&state=TX")
        summary = page.locator("details.browse-filters > summary")
        expect(summary).to_have_text("Filters (2)")
        expect(page.locator("#category")).not_to_be_visible()
        summary.click()
        expect(page.locator("#category")).to_be_visible()
    finally:
        context.close()


def test_a_desktop_shows_the_filters_open(new_page):
    page = new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/listings")
    expect(page.locator("#category")).to_be_visible()


def test_the_filter_count_follows_a_live_change(new_page):
    page = new_page()
    page.set_viewport_size(PHONE)
    page.goto("/listings")
    page.locator("details.browse-filters > summary").click()
    with page.expect_response(lambda response: "state=TX" in response.url):
        page.select_option("#state", "TX")
    expect(page.locator("details.browse-filters > summary")).to_have_text("Filters (1)")
