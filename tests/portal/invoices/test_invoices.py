"""The invoice list: only the client's own invoices, filters, order, pages, summary, htmx, query count."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from app.extensions import db
from models.types import utcnow
from tests.factories import InvoiceFactory
from tests.portal.conftest import PortalWorld, count_queries

NUMBER_RE = re.compile(r">((?:INV|MY|N|T)-[\w-]+)</a>")


def _numbers(page: str) -> list[str]:
    return NUMBER_RE.findall(page)


def _link(page: str, rel: str) -> str:
    return html.unescape(re.search(rf'<a href="([^"]+)"[^>]*rel="{rel}"', page).group(1))


def _mine(world: PortalWorld, number: str, **fields):
    return InvoiceFactory(client_party=world.client_contact.party, number=number, **fields)


@pytest.fixture
def invoices(world: PortalWorld):
    now = utcnow()
    made = {
        "draft": _mine(world, "MY-DRAFT", status="draft", issued_at=None),
        "issued": _mine(world, "MY-ISSUED", created_at=now - timedelta(days=1)),
        "overdue": _mine(
            world, "MY-OVERDUE", created_at=now - timedelta(days=40), due_at=now - timedelta(days=10)
        ),
        "partial": _mine(
            world,
            "MY-PARTIAL",
            status="partially_paid",
            amount_cents=30_000,
            balance_cents=12_500,
            created_at=now - timedelta(days=50),
            due_at=now - timedelta(days=20),
        ),
        "paid": _mine(world, "MY-PAID", status="paid", balance_cents=0, created_at=now - timedelta(days=60)),
        "void": _mine(world, "MY-VOID", status="void", balance_cents=0, created_at=now - timedelta(days=70)),
        "deleted": _mine(world, "MY-DELETED", deleted_at=now),
        "neighbour": InvoiceFactory(client_party=world.neighbour.party, number="N-1"),
        "other_tenant": InvoiceFactory(client_party=world.other_tenant_contact.party, number="T-1"),
    }
    db.session.flush()
    return made


def test_client_sees_only_their_own_issued_invoices_newest_first(world, invoices, login_as, client):
    login_as(world.client_contact)

    page = client.get("/portal/sunny/invoices").get_data(as_text=True)

    assert _numbers(page) == ["MY-ISSUED", "MY-OVERDUE", "MY-PARTIAL", "MY-PAID", "MY-VOID"]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("open", ["MY-ISSUED", "MY-OVERDUE", "MY-PARTIAL"]),
        ("overdue", ["MY-OVERDUE", "MY-PARTIAL"]),
        ("paid", ["MY-PAID"]),
        ("void", ["MY-VOID"]),
        ("all", ["MY-ISSUED", "MY-OVERDUE", "MY-PARTIAL", "MY-PAID", "MY-VOID"]),
        ("nonsense", ["MY-ISSUED", "MY-OVERDUE", "MY-PARTIAL", "MY-PAID", "MY-VOID"]),
    ],
)
def test_filters_show_the_matching_invoices(world, invoices, login_as, client, status, expected):
    login_as(world.client_contact)

    page = client.get(f"/portal/sunny/invoices?status={status}").get_data(as_text=True)

    assert _numbers(page) == expected


def test_paid_off_invoice_past_its_due_date_is_not_overdue(world, login_as, client):
    _mine(world, "MY-SETTLED", balance_cents=0, due_at=utcnow() - timedelta(days=5))
    login_as(world.client_contact)

    page = client.get("/portal/sunny/invoices?status=overdue").get_data(as_text=True)

    assert _numbers(page) == []
    assert "No overdue invoices." in page


def test_summary_shows_total_due_and_overdue_amount(world, invoices, login_as, client):
    login_as(world.client_contact)

    page = client.get("/portal/sunny/invoices").get_data(as_text=True)

    # issued $100 + overdue $100 + partial $125 are owed; overdue + partial are past due.
    assert re.search(r'class="amount-due">\$325\.00<', page)
    assert re.search(r'class="amount-overdue">\$225\.00<', page)


def test_summary_keeps_currencies_apart(world, login_as, client):
    _mine(world, "MY-USD", amount_cents=10_000)
    _mine(world, "MY-EUR", amount_cents=20_000, currency="EUR")
    login_as(world.client_contact)

    page = client.get("/portal/sunny/invoices").get_data(as_text=True)

    assert "$100.00" in page
    assert "€200.00" in page
    assert "$300.00" not in page


def test_huge_amounts_display_exactly(world, login_as, client):
    _mine(world, "MY-BIG", amount_cents=2_500_000_000)
    _mine(world, "MY-BIGGER", amount_cents=9_007_199_254_740_993)  # past float precision
    login_as(world.client_contact)

    page = client.get("/portal/sunny/invoices").get_data(as_text=True)

    assert "$25,000,000.00" in page
    assert "$90,071,992,547,409.93" in page
    assert "$90,072,017,547,409.93" in page  # the total due, summed in SQL without rounding


def test_list_is_paginated_with_links_between_pages(world, login_as, client, app, monkeypatch):
    monkeypatch.setitem(app.config, "PORTAL_PAGE_SIZE", 2)
    for day in range(5):
        _mine(world, f"MY-{day}", created_at=utcnow() - timedelta(days=day))
    login_as(world.client_contact)

    first = client.get("/portal/sunny/invoices").get_data(as_text=True)
    second = client.get(_link(first, "next")).get_data(as_text=True)
    third = client.get(_link(second, "next")).get_data(as_text=True)

    assert _numbers(first) == ["MY-0", "MY-1"]
    assert 'rel="prev"' not in first
    assert _numbers(second) == ["MY-2", "MY-3"]
    assert _numbers(third) == ["MY-4"]
    assert 'rel="next"' not in third
    assert _numbers(client.get(_link(third, "prev")).get_data(as_text=True)) == ["MY-2", "MY-3"]


def test_filter_tab_over_htmx_returns_only_the_list(world, invoices, login_as, client):
    login_as(world.client_contact)

    response = client.get("/portal/sunny/invoices?status=paid", headers={"HX-Request": "true"})

    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="invoice-list"')
    assert "<html" not in body
    assert _numbers(body) == ["MY-PAID"]
    assert "HX-Request" in response.headers["Vary"]


def test_htmx_history_restore_gets_the_full_page(world, invoices, login_as, client):
    login_as(world.client_contact)

    response = client.get(
        "/portal/sunny/invoices?status=paid",
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )

    assert "<html" in response.get_data(as_text=True)


def test_filter_tabs_are_plain_links_that_push_the_url(world, invoices, login_as, client):
    login_as(world.client_contact)

    page = client.get("/portal/sunny/invoices").get_data(as_text=True)

    assert (
        'href="/portal/sunny/invoices?status=overdue" hx-get="/portal/sunny/invoices?status=overdue"' in page
    )
    assert 'hx-push-url="true"' in page


def test_marketplace_invoice_carries_a_badge_in_the_list(world, login_as, client):
    _mine(world, "MY-MARKET", is_marketplace_invoice=True)
    login_as(world.client_contact)

    page = client.get("/portal/sunny/invoices").get_data(as_text=True)

    assert 'badge-marketplace">Marketplace<' in page


@pytest.mark.parametrize("page_size", [2, 50])
def test_list_page_runs_at_most_four_queries_whatever_the_page_size(
    world, login_as, client, app, monkeypatch, page_size
):
    monkeypatch.setitem(app.config, "PORTAL_PAGE_SIZE", page_size)
    for n in range(30):
        _mine(world, f"MY-Q{n}", is_marketplace_invoice=n % 3 == 0)
    login_as(world.client_contact)

    with count_queries() as statements:
        response = client.get("/portal/sunny/invoices?status=open")

    assert response.status_code == 200
    assert len(_numbers(response.get_data(as_text=True))) == min(page_size, 30)
    assert len(statements) <= 4, statements
