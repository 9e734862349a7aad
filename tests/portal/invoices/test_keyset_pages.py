"""The invoice and payment lists page by signed cursor: Older and Newer walk every row once, in order, even while
rows arrive; filters keep their cursor; a cursor that is not the list's lands on the newest page; old `?page=`
links land on the list; nobody else's rows ever show, whatever cursor comes in."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta

import pytest

from app.extensions import db
from models.types import utcnow
from portal.invoices.cursors import Cursor, CursorScope
from tests.factories import InvoiceFactory, PaymentFactory
from tests.portal.conftest import PortalWorld, count_queries

NUMBER_RE = re.compile(r">((?:MY|N|T)-[\w-]+)</a>")
LINK_RE = {rel: re.compile(rf'<a href="([^"]+)"[^>]*rel="{rel}"') for rel in ("next", "prev")}
SUMMARY_RE = re.compile(r'<p class="results-summary">(.*?)</p>', re.DOTALL)
REFUSED = "That page link no longer works, so this is the newest page."
BASE = "/portal/sunny/invoices"
T0 = datetime(2026, 3, 1, 12, 0)


def _numbers(page: str) -> list[str]:
    return NUMBER_RE.findall(page)


def _link(page: str, rel: str) -> str | None:
    found = LINK_RE[rel].search(page)
    return html.unescape(found.group(1)) if found else None


def _summary(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", "", SUMMARY_RE.search(page).group(1)).split())


def _get(client, url: str, **headers: str) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def _walk(client, url: str, rel: str = "next") -> list[str]:
    """Follow one kind of link from `url` to its end; the pages' HTML, in the order read."""
    pages = [_get(client, url)]
    while (url := _link(pages[-1], rel)) is not None:
        pages.append(_get(client, url))
    return pages


def _mine(world: PortalWorld, number: str, minutes: int = 0, **fields):
    return InvoiceFactory(
        client_party=world.client_contact.party,
        number=number,
        created_at=T0 + timedelta(minutes=minutes),
        **fields,
    )


@pytest.fixture
def small_pages(app, monkeypatch):
    monkeypatch.setitem(app.config, "PORTAL_PAGE_SIZE", 2)


@pytest.fixture
def history(world: PortalWorld, small_pages):
    """Seven invoices of the client, newest first MY-6 … MY-0; MY-2 and MY-3 share a timestamp (the id decides),
    with a draft, a deleted one and other clients' invoices in between."""
    made = [_mine(world, f"MY-{n}", minutes=n if n != 3 else 2) for n in range(7)]
    _mine(world, "MY-DRAFT", minutes=4, status="draft")
    _mine(world, "MY-GONE", minutes=5, deleted_at=utcnow())
    InvoiceFactory(client_party=world.neighbour.party, number="N-1", created_at=T0 + timedelta(minutes=3))
    InvoiceFactory(client_party=world.other_tenant_contact.party, number="T-1", created_at=T0)
    db.session.flush()
    return made


NEWEST_FIRST = ["MY-6", "MY-5", "MY-4", "MY-3", "MY-2", "MY-1", "MY-0"]


def test_older_walks_every_invoice_once_newest_first(world, history, login_as, client):
    login_as(world.client_contact)

    pages = _walk(client, BASE)

    assert [_numbers(page) for page in pages] == [NEWEST_FIRST[i : i + 2] for i in range(0, 7, 2)]
    assert [_summary(page) for page in pages] == [
        "Showing 1–2 of 7 invoices",
        "Showing 3–4 of 7 invoices",
        "Showing 5–6 of 7 invoices",
        "Showing 7 of 7 invoices",
    ]
    assert "?page=" not in "".join(pages)


def test_invoices_arriving_between_pages_neither_repeat_nor_push_others_out(world, history, login_as, client):
    login_as(world.client_contact)
    seen = []
    page = _get(client, BASE)
    while True:
        seen += _numbers(page)
        # A new invoice lands at the top after every page load: under OFFSET, each one would shift a row of
        # the pages still to come onto the page just read.
        _mine(world, f"MY-NEW-{len(seen)}", minutes=60 + len(seen))
        db.session.flush()
        if (url := _link(page, "next")) is None:
            break
        page = _get(client, url)

    assert seen == NEWEST_FIRST


def test_newer_walks_back_to_the_first_page(world, history, login_as, client):
    login_as(world.client_contact)
    forward = _walk(client, BASE)

    backward = _walk(client, _link(forward[-2], "next"), rel="prev")

    assert [_numbers(page) for page in backward] == [_numbers(page) for page in reversed(forward)]
    assert [_summary(page) for page in backward] == [_summary(page) for page in reversed(forward)]
    assert _link(backward[-1], "prev") is None
    assert "Page 1<" in backward[-1]


def test_newer_after_invoices_went_away_lands_on_the_newest_page(world, history, login_as, client):
    login_as(world.client_contact)
    third = _walk(client, BASE)[2]
    for invoice in history[3:]:  # everything newer than the third page
        invoice.deleted_at = utcnow()
    db.session.flush()

    page = _get(client, _link(third, "prev"))

    assert _numbers(page) == ["MY-2", "MY-1"]
    assert _summary(page) == "Showing 1–2 of 3 invoices"
    assert _link(page, "prev") is None


def test_a_filter_keeps_its_cursor(world, history, login_as, client):
    history[5].status = "paid"
    history[2].status = "void"
    db.session.flush()
    login_as(world.client_contact)

    pages = _walk(client, f"{BASE}?status=open")

    assert [_numbers(page) for page in pages] == [["MY-6", "MY-4"], ["MY-3", "MY-1"], ["MY-0"]]
    assert all("status=open" in _link(page, "next") for page in pages[:-1])
    assert _summary(pages[1]) == "Showing 3–4 of 5 open invoices"


def test_older_over_htmx_swaps_the_list_and_announces_the_page(world, history, login_as, client):
    login_as(world.client_contact)
    older = _link(_get(client, BASE), "next")

    body = _get(client, older, **{"HX-Request": "true"})

    assert body.lstrip().startswith('<section id="invoice-list"')
    assert 'data-announce="All invoices, page 2: 2 shown"' in body
    assert f'href="{html.escape(_link(body, "next"))}" hx-get=' in body


@pytest.mark.parametrize(
    "query",
    [
        "after=abc",
        "before=abc",
        "after=" + "x" * 5000,
        "after=WzEsMiwzXQ.forged-signature",
        "after=&before=",
    ],
)
def test_a_forged_cursor_lands_on_the_newest_page_and_says_so(world, history, login_as, client, query):
    login_as(world.client_contact)

    page = _get(client, f"{BASE}?{query}")

    assert _numbers(page) == ["MY-6", "MY-5"]
    assert (REFUSED in page) == (query != "after=&before=")


def test_a_cursor_edited_by_one_character_is_refused(world, history, login_as, client):
    login_as(world.client_contact)
    older = _link(_get(client, BASE), "next")
    token = older.split("after=")[1]
    edited = token[:3] + ("A" if token[3] != "A" else "B") + token[4:]

    page = _get(client, f"{BASE}?after={edited}")

    assert REFUSED in page
    assert _numbers(page) == ["MY-6", "MY-5"]


def test_a_cursor_of_another_filter_or_list_is_refused(world, history, login_as, client):
    login_as(world.client_contact)
    paid_cursor = CursorScope.of("invoices", "paid", world.client_contact).sign(Cursor(T0, history[4].id, 3))
    payments_cursor = CursorScope.of("payments", "all", world.client_contact).sign(
        Cursor(T0, history[4].id, 3)
    )

    other_filter = _get(client, f"{BASE}?status=open&after={paid_cursor}")
    other_list = _get(client, f"{BASE}?after={payments_cursor}")

    assert REFUSED in other_filter and _numbers(other_filter) == ["MY-6", "MY-5"]
    assert REFUSED in other_list and _numbers(other_list) == ["MY-6", "MY-5"]


def test_another_clients_cursor_never_shows_their_invoices(world, history, login_as, client):
    neighbours = CursorScope.of("invoices", "all", world.neighbour)
    other_tenants = CursorScope.of("invoices", "all", world.other_tenant_contact)
    foreign = [
        neighbours.sign(Cursor(T0 + timedelta(days=1), 2_000_000, 1)),
        other_tenants.sign(Cursor(T0 + timedelta(days=1), 2_000_000, 1)),
    ]
    login_as(world.client_contact)

    for token in foreign:
        page = _get(client, f"{BASE}?after={token}")
        assert REFUSED in page
        assert _numbers(page) == ["MY-6", "MY-5"]


def test_a_cursor_at_another_clients_invoice_still_lists_only_mine(world, history, login_as, client):
    """Authorization is the query's, not the cursor's: even a cursor signed for my list, naming a neighbour's
    row, only says where to start among my own invoices."""
    at = T0 + timedelta(minutes=3)
    neighbour_invoice = InvoiceFactory(client_party=world.neighbour.party, number="N-2", created_at=at)
    db.session.flush()
    token = CursorScope.of("invoices", "all", world.client_contact).sign(Cursor(at, neighbour_invoice.id, 3))
    login_as(world.client_contact)

    pages = _walk(client, f"{BASE}?after={token}")

    assert [n for page in pages for n in _numbers(page)] == ["MY-3", "MY-2", "MY-1", "MY-0"]


def test_older_past_the_oldest_invoice_says_there_are_no_more(world, history, login_as, client):
    token = CursorScope.of("invoices", "all", world.client_contact).sign(Cursor(T0, history[0].id, 7))
    login_as(world.client_contact)

    page = _get(client, f"{BASE}?after={token}")

    assert _numbers(page) == []
    assert "There are no more invoices here." in page


@pytest.mark.parametrize(
    ("old", "lands_on"),
    [
        ("?page=2", BASE),
        ("?page=1", BASE),
        ("?page=99999", BASE),
        ("?page=99999999999999999999", BASE),
        ("?page=abc", BASE),
        ("?page=-4x&status=paid", f"{BASE}?status=paid"),
        ("?status=overdue&page=3", f"{BASE}?status=overdue"),
        ("?status=nonsense&page=3", BASE),
    ],
)
def test_an_old_page_number_link_lands_on_the_newest_page_of_its_list(
    world, history, login_as, client, old, lands_on
):
    login_as(world.client_contact)

    response = client.get(f"{BASE}{old}")

    assert response.status_code == 302
    assert response.headers["Location"] == lands_on
    assert client.get(lands_on).status_code == 200


def test_an_old_payments_page_link_lands_on_the_newest_payments(world, login_as, client):
    login_as(world.client_contact)

    response = client.get("/portal/sunny/payments?page=7")

    assert response.status_code == 302
    assert response.headers["Location"] == "/portal/sunny/payments"


def test_signed_out_old_page_link_still_asks_to_sign_in_first(world, client):
    response = client.get(f"{BASE}?page=2")

    assert response.status_code == 302
    assert "/portal/sunny/login" in response.headers["Location"]


def test_a_deep_page_runs_no_more_queries_than_the_first(world, history, login_as, client):
    login_as(world.client_contact)
    older = _link(_walk(client, BASE)[1], "next")

    with count_queries() as first:
        _get(client, BASE)
    with count_queries() as deep:
        _get(client, older)

    assert len(deep) == len(first) <= 4


def _payment(invoice, day: int | None, cents: int):
    paid_at = None if day is None else datetime(2026, 5, day)
    return PaymentFactory(invoice=invoice, amount_cents=cents, paid_at=paid_at, status="succeeded")


def test_payments_walk_older_and_newer_with_unpaid_ones_last(world, login_as, client, small_pages):
    invoice = _mine(world, "MY-PAY")
    _payment(invoice, None, 101)  # not yet paid: listed after every paid one, newest id first
    _payment(invoice, None, 102)
    for day, cents in ((3, 300), (1, 100), (2, 200), (2, 201)):
        _payment(invoice, day, cents)
    _payment(InvoiceFactory(client_party=world.neighbour.party), 4, 999)
    db.session.flush()
    login_as(world.client_contact)

    forward = _walk(client, "/portal/sunny/payments")
    backward = _walk(client, _link(forward[-2], "next"), rel="prev")

    def amounts(page: str) -> list[str]:
        return re.findall(r"\$(\d+\.\d\d)</td>", page)

    # Newest paid first, a tie on the date broken by the newer payment; then the unpaid ones, newer first.
    assert [amounts(page) for page in forward] == [["3.00", "2.01"], ["2.00", "1.00"], ["1.02", "1.01"]]
    assert _summary(forward[-1]) == "Showing 5–6 of 6 payments"
    assert [amounts(page) for page in backward] == [amounts(page) for page in reversed(forward)]
    assert "$9.99" not in "".join(forward)
