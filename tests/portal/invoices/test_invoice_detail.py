"""One invoice: its lines, totals, payments and balance; and the payments page."""

from __future__ import annotations

import html
import re
from datetime import datetime

from app.extensions import db
from tests.factories import (
    InvoiceFactory,
    InvoiceLineItemFactory,
    MarketplaceTransactionFactory,
    PaymentFactory,
)
from tests.portal.conftest import PortalWorld


def _invoice_with_lines_and_payments(world: PortalWorld):
    invoice = InvoiceFactory(
        client_party=world.client_contact.party,
        number="MY-77",
        status="partially_paid",
        amount_cents=2_500_013_000,
        balance_cents=2_499_963_000,
        deposit_cents=20_000,
        issued_at=datetime(2026, 3, 2),
        due_at=datetime(2026, 4, 1),
    )
    InvoiceLineItemFactory(
        invoice=invoice, position=0, description="Breeding program buyout", unit_price_cents=2_500_000_000
    )
    InvoiceLineItemFactory(
        invoice=invoice,
        position=1,
        description="Microchip & <b>registration</b>",
        quantity=2,
        unit_price_cents=6_500,
    )
    PaymentFactory(invoice=invoice, amount_cents=50_000, method="bank_transfer", paid_at=datetime(2026, 3, 5))
    PaymentFactory(invoice=invoice, amount_cents=9_999, status="failed", paid_at=datetime(2026, 3, 4))
    db.session.flush()
    return invoice


def test_invoice_shows_lines_totals_payments_and_balance(world, login_as, client):
    invoice = _invoice_with_lines_and_payments(world)
    login_as(world.client_contact)

    page = client.get(f"/portal/sunny/invoices/{invoice.id}").get_data(as_text=True)

    assert "Invoice MY-77" in page
    assert "Mar 2, 2026" in page and "Apr 1, 2026" in page
    assert "Partially paid" in page
    assert "Breeding program buyout" in page
    assert "Microchip &amp; &lt;b&gt;registration&lt;/b&gt;" in page
    assert "$25,000,000.00" in page  # the line
    assert "$25,000,130.00" in page  # subtotal and total
    assert "$200.00" in page  # deposit
    assert "$500.00" in page  # the succeeded payment, applied
    assert "$24,999,630.00" in page  # balance due
    assert "Bank transfer" in page
    assert "Failed" in page


def test_marketplace_invoice_shows_its_badge(world, login_as, client):
    transaction = MarketplaceTransactionFactory(provider_tenant=world.tenant)
    invoice = InvoiceFactory(
        client_party=world.client_contact.party,
        marketplace_transaction=transaction,
        is_marketplace_invoice=True,
    )
    plain = InvoiceFactory(client_party=world.client_contact.party)
    login_as(world.client_contact)

    assert "From the marketplace" in client.get(f"/portal/sunny/invoices/{invoice.id}").get_data(as_text=True)
    assert "From the marketplace" not in client.get(f"/portal/sunny/invoices/{plain.id}").get_data(
        as_text=True
    )


def test_invoice_page_links_the_print_stylesheet(world, login_as, client):
    invoice = InvoiceFactory(client_party=world.client_contact.party)
    login_as(world.client_contact)

    page = client.get(f"/portal/sunny/invoices/{invoice.id}").get_data(as_text=True)

    assert 'href="/static/css/print.css" media="print"' in page


def test_payments_page_lists_every_payment_on_the_clients_invoices(world, login_as, client):
    invoice = _invoice_with_lines_and_payments(world)
    PaymentFactory(invoice=InvoiceFactory(client_party=world.neighbour.party), reference="NEIGHBOUR")
    hidden = InvoiceFactory(client_party=world.client_contact.party, number="MY-GONE")
    PaymentFactory(invoice=hidden, amount_cents=123_456)
    hidden.soft_delete()
    db.session.flush()
    login_as(world.client_contact)

    page = client.get("/portal/sunny/payments").get_data(as_text=True)

    assert page.count(f'href="/portal/sunny/invoices/{invoice.id}">MY-77</a>') == 2
    assert "Mar 5, 2026" in page and "Succeeded" in page and "Failed" in page
    assert "$500.00" in page and "$99.99" in page
    assert "NEIGHBOUR" not in page
    assert "$1,234.56" not in page
    assert "MY-GONE" not in page


def test_payments_page_is_paginated_newest_first(world, login_as, client, app, monkeypatch):
    monkeypatch.setitem(app.config, "PORTAL_PAGE_SIZE", 2)
    invoice = InvoiceFactory(client_party=world.client_contact.party)
    for day in (1, 2, 3):
        PaymentFactory(invoice=invoice, amount_cents=day * 100, paid_at=datetime(2026, 5, day))
    login_as(world.client_contact)

    first = client.get("/portal/sunny/payments").get_data(as_text=True)
    older = re.search(r'<a href="([^"]+)" rel="next">Older</a>', first).group(1)
    second = client.get(html.unescape(older)).get_data(as_text=True)

    assert first.index("May 3, 2026") < first.index("May 2, 2026")
    assert "May 1, 2026" not in first
    assert "May 1, 2026" in second and "May 2, 2026" not in second
