"""PDFs under "My invoices": the invoice and its receipts, for the user's own invoices only, with the page's
figures."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from app.extensions import db
from tests.documents import page_totals, pdf_text
from tests.factories import InvoiceLineItemFactory, PaymentFactory

MONEY_RE = re.compile(r"[$€£][\d,]+\.\d\d")
ARTICLE_RE = re.compile(r'<article class="card invoice-detail">.*?</article>', re.DOTALL)


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_the_pdf_carries_the_figures_of_the_page_with_the_breeders_name(invoice_world, login_as, client):
    invoice = invoice_world.shown["S-PARTIAL"]
    invoice.deposit_cents = 10_000
    InvoiceLineItemFactory(invoice=invoice, description="Stud service", unit_price_cents=30_000)
    PaymentFactory(invoice=invoice, amount_cents=17_500, method="cash", paid_at=datetime(2026, 2, 3))
    db.session.flush()
    login_as(invoice_world.buyer)
    page = client.get(f"/account/invoices/{invoice.id}").get_data(as_text=True)

    response = client.get(f"/account/invoices/{invoice.id}.pdf")

    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="invoice-S-PARTIAL.pdf"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    text = _flat(pdf_text(response.data))
    assert "Invoice S-PARTIAL" in text and "From Sunny Kennels" in text and "Stud service" in text
    figures = MONEY_RE.findall(ARTICLE_RE.search(page).group(0))
    assert {"$300.00", "$175.00", "$125.00", "$100.00"} <= set(figures)
    assert [figure for figure in figures if figure not in text] == []
    for label, sign, amount in page_totals(page):
        assert _flat(f"{label} {sign} {amount}") in text
    assert "Feb 3, 2026" in page and "Feb 3, 2026" in text


def test_a_euro_invoice_keeps_its_currency_format(invoice_world, login_as, client):
    invoice = invoice_world.shown["R-EUR"]
    login_as(invoice_world.buyer)

    page = client.get(f"/account/invoices/{invoice.id}").get_data(as_text=True)
    text = pdf_text(client.get(f"/account/invoices/{invoice.id}.pdf").data)

    assert "€70.00" in page and "€70.00" in text and "From River Stables" in text


def test_my_invoices_and_the_invoice_page_link_the_pdf(invoice_world, login_as, client):
    login_as(invoice_world.buyer)

    listing = client.get("/account/invoices").get_data(as_text=True)
    for invoice in invoice_world.shown.values():
        assert f'href="/account/invoices/{invoice.id}.pdf"' in listing
    detail = client.get(f"/account/invoices/{invoice_world.shown['S-ISSUED'].id}").get_data(as_text=True)
    assert f'href="/account/invoices/{invoice_world.shown["S-ISSUED"].id}.pdf"' in detail


def test_the_receipt_of_a_payment_on_the_users_invoice(invoice_world, login_as, client):
    invoice = invoice_world.shown["S-PARTIAL"]
    payment = PaymentFactory(
        invoice=invoice,
        amount_cents=17_500,
        paid_at=datetime(2026, 2, 3),
        stripe_payment_intent_id="pi_my_receipt",
        card_brand="mastercard",
        card_last4="4444",
    )
    db.session.flush()
    login_as(invoice_world.buyer)
    status_page = client.get(f"/account/invoices/{invoice.id}/payments/{payment.id}").get_data(as_text=True)
    receipt_url = f"/account/invoices/{invoice.id}/payments/{payment.id}/receipt.pdf"

    response = client.get(receipt_url)

    assert f'href="{receipt_url}"' in status_page
    assert response.status_code == 200
    assert (
        response.headers["Content-Disposition"]
        == f'attachment; filename="receipt-S-PARTIAL-{payment.id}.pdf"'
    )
    text = _flat(pdf_text(response.data))
    for shown in ("$175.00", "Mastercard ending in 4444", "Feb 3, 2026", "S-PARTIAL", "$125.00"):
        assert shown in status_page and shown in text
    assert "Sunny Kennels received this payment" in text


@pytest.mark.parametrize("hidden", ["draft", "deleted", "other_user", "unlinked_contact", "deleted_contact"])
def test_an_invoice_that_is_not_the_users_is_a_404_as_pdf(invoice_world, login_as, client, hidden):
    invoice = invoice_world.hidden[hidden]
    payment = PaymentFactory(invoice=invoice)
    db.session.flush()
    login_as(invoice_world.buyer)

    assert client.get(f"/account/invoices/{invoice.id}.pdf").status_code == 404
    assert client.get(f"/account/invoices/{invoice.id}/payments/{payment.id}/receipt.pdf").status_code == 404


def test_a_receipt_only_for_money_that_arrived_on_that_invoice(invoice_world, login_as, client):
    invoice = invoice_world.shown["S-PARTIAL"]
    received = PaymentFactory(invoice=invoice)
    failed = PaymentFactory(invoice=invoice, status="failed")
    pending = PaymentFactory(invoice=invoice, status="pending")
    db.session.flush()
    login_as(invoice_world.buyer)

    assert client.get(f"/account/invoices/{invoice.id}/payments/{received.id}/receipt.pdf").status_code == 200
    for payment in (failed, pending):
        assert (
            client.get(f"/account/invoices/{invoice.id}/payments/{payment.id}/receipt.pdf").status_code == 404
        )
    other = invoice_world.shown["S-ISSUED"]
    assert client.get(f"/account/invoices/{other.id}/payments/{received.id}/receipt.pdf").status_code == 404


def test_signed_out_or_as_a_portal_client_the_pdfs_ask_for_a_marketplace_sign_in(
    invoice_world, login_as, client
):
    invoice = invoice_world.shown["S-ISSUED"]
    payment = PaymentFactory(invoice=invoice)
    db.session.flush()
    urls = (
        f"/account/invoices/{invoice.id}.pdf",
        f"/account/invoices/{invoice.id}/payments/{payment.id}/receipt.pdf",
    )

    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    login_as(invoice_world.sunny_contact)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
