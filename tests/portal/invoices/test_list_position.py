"""Where am I in the lists: "Showing 3–4 of 5 invoices", counted in the page's own statement and only up to
COUNT_CAP, so a long history never costs a count of all of it; the position comes with the page's cursor."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta

from app.extensions import db
from models.types import utcnow
from portal.invoices import keyset
from tests.factories import InvoiceFactory, PaymentFactory

SUMMARY_RE = re.compile(r'<p class="results-summary">(.*?)</p>', re.DOTALL)


def _summary(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", "", SUMMARY_RE.search(page).group(1)).split())


def _older(client, page: str) -> str:
    link = re.search(r'<a href="([^"]+)"[^>]*rel="next"', page).group(1)
    return client.get(html.unescape(link)).get_data(as_text=True)


def _mine(world, number, **fields):
    return InvoiceFactory(client_party=world.client_contact.party, number=number, **fields)


def test_each_page_of_invoices_says_which_it_shows_of_how_many(world, login_as, client, app, monkeypatch):
    monkeypatch.setitem(app.config, "PORTAL_PAGE_SIZE", 2)
    for day in range(5):
        _mine(world, f"MY-{day}", created_at=utcnow() - timedelta(days=day))
    _mine(world, "MY-PAID", status="paid", balance_cents=0)
    _mine(world, "MY-GONE", deleted_at=utcnow())
    _mine(world, "MY-DRAFT", status="draft")
    InvoiceFactory(client_party=world.neighbour.party)
    InvoiceFactory(client_party=world.other_tenant_contact.party)
    login_as(world.client_contact)

    first = client.get("/portal/sunny/invoices").get_data(as_text=True)
    second = _older(client, first)
    last = _older(
        client, _older(client, client.get("/portal/sunny/invoices?status=open").get_data(as_text=True))
    )
    paid = client.get("/portal/sunny/invoices?status=paid", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )

    assert _summary(first) == "Showing 1–2 of 6 invoices"
    assert _summary(second) == "Showing 3–4 of 6 invoices"
    assert _summary(last) == "Showing 5 of 5 open invoices"
    assert _summary(paid) == "Showing 1 of 1 paid invoice"


def test_a_history_longer_than_the_cap_says_more_than(world, login_as, client, monkeypatch):
    monkeypatch.setattr(keyset, "COUNT_CAP", 3)
    for number in range(5):
        _mine(world, f"MY-CAP-{number}")
    login_as(world.client_contact)

    assert _summary(client.get("/portal/sunny/invoices").get_data(as_text=True)) == (
        "Showing 1–5 of more than 3 invoices"
    )


def test_the_payments_page_says_it_too(world, login_as, client, app, monkeypatch):
    monkeypatch.setitem(app.config, "PORTAL_PAGE_SIZE", 2)
    invoice = _mine(world, "MY-PAY")
    for day in (1, 2, 3):
        PaymentFactory(invoice=invoice, amount_cents=day * 100, paid_at=datetime(2026, 5, day))
    PaymentFactory(invoice=InvoiceFactory(client_party=world.neighbour.party))
    db.session.flush()
    login_as(world.client_contact)

    first = client.get("/portal/sunny/payments").get_data(as_text=True)
    second = _older(client, first)

    assert _summary(first) == "Showing 1–2 of 3 payments"
    assert _summary(second) == "Showing 3 of 3 payments"
