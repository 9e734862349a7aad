"""One invoice on "My invoices": the portal's invoice body, the same markup, and the badge's link to the listing."""

from __future__ import annotations

import re
from datetime import datetime

from app.extensions import db
from tests.documents import page_totals
from tests.factories import (
    InvoiceLineItemFactory,
    MarketplaceTransactionFactory,
    PaymentFactory,
    ServiceListingFactory,
)
from tests.marketplace.invoices.conftest import invoice_of
from tests.query_count import count_queries

ARTICLE_RE = re.compile(r'<article class="card invoice-detail">.*?</article>', re.DOTALL)


def _with_lines_and_payments(contact, lines: int = 2, payments: int = 1):
    invoice = invoice_of(
        contact,
        "S-77",
        status="partially_paid",
        amount_cents=40_000,
        balance_cents=15_000,
        deposit_cents=5_000,
        issued_at=datetime(2026, 3, 2),
        due_at=datetime(2026, 4, 1),
    )
    for position in range(lines):
        InvoiceLineItemFactory(
            invoice=invoice,
            position=position,
            description=f"Stud service {position}",
            unit_price_cents=20_000,
        )
    for day in range(1, payments + 1):
        PaymentFactory(
            invoice=invoice,
            amount_cents=25_000 // payments,
            method="bank_transfer",
            paid_at=datetime(2026, 3, day),
        )
    db.session.flush()
    return invoice


def test_the_page_shows_line_items_payments_and_balance(invoice_world, login_as, client):
    invoice = _with_lines_and_payments(invoice_world.sunny_contact)
    login_as(invoice_world.buyer)

    page = client.get(f"/account/invoices/{invoice.id}").get_data(as_text=True)

    assert "Invoice S-77" in page and "From Sunny Kennels" in page
    assert "Stud service 0" in page and "Stud service 1" in page
    assert "$250.00" in page and "Bank transfer" in page  # the payment
    assert page_totals(page) == [
        ("Total", "", "$400.00"),
        ("Paid (deposit included)", "−", "$250.00"),
        ("Balance due", "=", "$150.00"),
    ]
    assert 'href="/account/invoices"' in page


def test_the_page_renders_the_same_invoice_body_as_the_portal(invoice_world, login_as, client):
    invoice = _with_lines_and_payments(invoice_world.sunny_contact)
    login_as(invoice_world.buyer)
    marketplace_page = client.get(f"/account/invoices/{invoice.id}").get_data(as_text=True)
    login_as(invoice_world.sunny_contact)
    portal_page = client.get(f"/portal/sunny/invoices/{invoice.id}").get_data(as_text=True)

    # Each face links the receipts it serves itself; everything else is the same markup.
    receipts = {
        marketplace_page: f"/account/invoices/{invoice.id}/payments/",
        portal_page: f"/portal/sunny/invoices/{invoice.id}/payments/",
    }
    bodies = [
        [body.replace(receipts[page], "RECEIPTS/") for body in ARTICLE_RE.findall(page)]
        for page in (marketplace_page, portal_page)
    ]

    assert len(bodies[0]) == 1
    assert 'href="RECEIPTS/' in bodies[0][0]
    assert bodies[0] == bodies[1]
    assert (
        'class="line-items stack-table"' in bodies[0][0]
        and 'class="invoice-payments stack-table"' in bodies[0][0]
    )


def test_the_marketplace_badge_links_to_the_listing(invoice_world, login_as, client):
    listing = ServiceListingFactory(title="Stud service, champion line")
    sale = MarketplaceTransactionFactory(provider_tenant=invoice_world.sunny, service_listing=listing)
    invoice = invoice_of(
        invoice_world.sunny_contact, "S-SALE", is_marketplace_invoice=True, marketplace_transaction=sale
    )
    unlisted = invoice_of(
        invoice_world.sunny_contact,
        "S-UNLISTED",
        is_marketplace_invoice=True,
        marketplace_transaction=MarketplaceTransactionFactory(provider_tenant=invoice_world.sunny),
    )
    db.session.flush()
    badge = f'<a class="badge badge-marketplace" href="/listings/{listing.id}">From the marketplace</a>'

    login_as(invoice_world.buyer)
    assert badge in client.get(f"/account/invoices/{invoice.id}").get_data(as_text=True)
    without_listing = client.get(f"/account/invoices/{unlisted.id}").get_data(as_text=True)
    assert '<span class="badge badge-marketplace">From the marketplace</span>' in without_listing
    assert 'class="badge badge-marketplace" href=' not in without_listing
    login_as(invoice_world.sunny_contact)
    assert badge in client.get(f"/portal/sunny/invoices/{invoice.id}").get_data(as_text=True)


def test_the_page_runs_a_fixed_number_of_queries_whatever_the_number_of_lines(
    invoice_world, login_as, client
):
    def queries_for(invoice) -> int:
        login_as(invoice_world.buyer)
        with count_queries() as statements:
            response = client.get(f"/account/invoices/{invoice.id}")
        assert response.status_code == 200
        return len(statements)

    small = _with_lines_and_payments(invoice_world.sunny_contact, lines=1, payments=1)
    large = _with_lines_and_payments(invoice_world.river_contact, lines=12, payments=5)
    large.is_marketplace_invoice = True
    large.marketplace_transaction = MarketplaceTransactionFactory(
        provider_tenant=invoice_world.river, service_listing=ServiceListingFactory()
    )
    db.session.flush()

    # Sign-in identity with the user's linked breeders (their scope in the database), the invoice (with breeder,
    # party and sale), its lines, its payments, their refunds, the nav's badges.
    assert queries_for(small) == queries_for(large) == 7
