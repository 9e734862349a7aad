"""A client with a long history pages through it in Chromium: Older and Newer swap the list over htmx, the address
carries the page's cursor (so Back and reload work), and the reader hears which page came in."""

from __future__ import annotations

import re

import psycopg
import pytest
from playwright.sync_api import expect
from sqlalchemy.engine import make_url

from tests.e2e.marketplace_pages import sign_in_to_portal, watch_problems

NEIGHBOUR = "neighbour@example.com"  # a demo client no other end-to-end test reads
HISTORY = 45  # three pages of 20

ADD_HISTORY = """
INSERT INTO "Invoice" ("tenantId", "clientPartyId", number, status, "amountCents", "balanceCents", currency,
                       "issuedAt", "dueAt", "createdAt", "updatedAt")
SELECT c."tenantId", c."partyId", 'HIST-' || lpad(i::text, 3, '0'), 'paid', 1000 + i, 0, 'USD',
       now() - i * interval '1 day', now() - i * interval '1 day' + interval '14 days',
       now() - i * interval '1 day' - interval '1 year', now()
FROM "Contact" c JOIN "Tenant" t ON t.id = c."tenantId", generate_series(1, %(count)s) AS i
WHERE t.slug = 'sunny-acres' AND c.email = %(email)s
"""


@pytest.fixture(scope="module")
def long_history(live_server: str, live_database_url: str) -> None:
    """45 paid invoices for the demo neighbour, older than the demo's own; the owner writes them, in the scope
    that row-level security asks for."""
    url = make_url(live_database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url) as conn:
        conn.execute("SELECT set_config('app.cross_tenant', 'e2e: a long invoice history', true)")
        conn.execute(ADD_HISTORY, {"count": HISTORY, "email": NEIGHBOUR})


def _showing(first: int, last: int) -> re.Pattern[str]:
    return re.compile(rf"Showing\s+{first}–{last}\s+of\s+46\s+invoices")


def _click_and_wait(page, name: str, url_part: str) -> None:
    page.wait_for_load_state()  # htmx wires links up once the page has loaded; a click before is a navigation
    with page.expect_response(
        lambda response: url_part in response.url and response.request.headers.get("hx-request") == "true"
    ):
        page.locator(".pagination").get_by_role("link", name=name).click()


def test_client_pages_older_and_newer_through_a_long_history(new_page, long_history):
    page = new_page()
    problems: list[str] = []
    watch_problems(page, problems)
    sign_in_to_portal(page, NEIGHBOUR)
    expect(page.locator(".results-summary")).to_have_text(_showing(1, 20))

    _click_and_wait(page, "Older", "after=")
    expect(page).to_have_url(re.compile(r"/invoices\?after=[\w.-]+$"))
    expect(page.locator(".results-summary")).to_have_text(_showing(21, 40))
    expect(page.locator("#swap-status")).to_have_text("All invoices, page 2: 20 shown")
    second_page_url = page.url

    _click_and_wait(page, "Older", "after=")
    expect(page.locator(".results-summary")).to_have_text(_showing(41, 46))
    expect(page.get_by_role("link", name="HIST-045")).to_be_visible()
    expect(page.locator(".pagination").get_by_role("link", name="Older")).to_have_count(0)

    _click_and_wait(page, "Newer", "before=")
    expect(page.locator(".results-summary")).to_have_text(_showing(21, 40))
    expect(page.get_by_role("link", name="HIST-020")).to_be_visible()

    page.go_back()
    expect(page.locator(".results-summary")).to_have_text(_showing(41, 46))
    page.goto(second_page_url)  # the address alone brings the same page back, without JavaScript's help
    expect(page.locator(".results-summary")).to_have_text(_showing(21, 40))

    page.goto("/portal/sunny-acres/invoices?page=3")  # a link from before cursors
    expect(page).to_have_url(re.compile(r"/portal/sunny-acres/invoices$"))
    expect(page.locator(".results-summary")).to_have_text(_showing(1, 20))
    assert problems == []
