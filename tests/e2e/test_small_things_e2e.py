"""Small things a person notices: the phone navigation fits at 375 px, and a reply leaves the console clean."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.marketplace_pages import open_conversation_with, portal_sign_in, sign_in

NARROW_PHONE = {"width": 375, "height": 740}

# The rows the header's visible items sit on: the top of each row, an item starting a new row when it begins
# below the middle of the row before (the brand is a little taller than the links beside it).
NAV_ROWS = """() => {
  const items = document.querySelectorAll('.site-header .brand, .site-header .nav-links > *');
  const boxes = [...items].map((item) => item.getBoundingClientRect()).filter((box) => box.width > 1);
  boxes.sort((a, b) => a.top - b.top);
  const rows = [];
  for (const box of boxes) {
    const last = rows[rows.length - 1];
    if (!last || box.top > last.top + last.height / 2) rows.push(box);
  }
  return rows.map((box) => Math.round(box.top));
}"""

CSP_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""


def _rows(page: Page) -> list[int]:
    page.wait_for_load_state("load")
    return page.evaluate(NAV_ROWS)


def test_the_phone_navigation_fits_on_two_rows_at_375_px(new_page):
    for who in ("seller@example.com", "buyer@example.com", None, "portal"):
        page = new_page()
        page.set_viewport_size(NARROW_PHONE)
        if who == "portal":
            portal_sign_in(page)
        elif who:
            sign_in(page, who)
        page.goto("/portal/sunny-acres/invoices" if who == "portal" else "/listings")
        rows = _rows(page)
        assert len(rows) <= 2, (who, rows)
        assert page.evaluate("document.documentElement.scrollWidth") <= NARROW_PHONE["width"]


def test_a_reply_leaves_no_csp_violation_or_console_error(new_page):
    page = new_page()
    page.set_viewport_size(NARROW_PHONE)
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.add_init_script(CSP_VIOLATIONS)
    sign_in(page, "buyer@example.com")
    open_conversation_with(page, "Sam Seller")

    page.get_by_role("button", name="Send").click()
    expect(page.locator("#reply-error")).to_have_text("Write a message first.")
    page.fill("#reply-body", "Is the 21st still free?")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#messages .message-mine").last).to_contain_text("Is the 21st still free?")
    page.wait_for_timeout(500)

    assert page.evaluate("window.__violations") == []
    # The refused empty reply answers 422 by design; Chromium logs that status, and nothing else may be logged.
    assert [error for error in errors if "status of 422" not in error] == []


def test_a_refusal_goes_once_the_conversation_moves_on_or_the_reader_types(new_page):
    buyer = new_page()
    seller = new_page()
    sign_in(buyer, "buyer@example.com")
    sign_in(seller, "seller@example.com")
    open_conversation_with(buyer, "Sam Seller")
    open_conversation_with(seller, "Bailey Buyer")

    buyer.get_by_role("button", name="Send").click()
    expect(buyer.locator("#reply-error")).to_have_text("Write a message first.")
    seller.fill("#reply-body", "Still there? The 21st is free.")
    seller.get_by_role("button", name="Send").click()

    expect(buyer.locator("#messages .message-theirs").last).to_contain_text(
        "The 21st is free.", timeout=15_000
    )
    expect(buyer.locator("#reply-error")).to_have_count(0)
    expect(buyer.locator("#reply-body")).not_to_have_attribute("aria-invalid", "true")

    buyer.get_by_role("button", name="Send").click()
    expect(buyer.locator("#reply-error")).to_have_text("Write a message first.")
    buyer.locator("#reply-body").press_sequentially("Y")
    expect(buyer.locator("#reply-error")).to_have_count(0)
