"""The invoice and receipt PDFs of the portal: the page's figures in a file, served as a download, and only to
the client who may see the page."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from app.extensions import db
from models import PaymentRefund
from models.types import utcnow
from tests.documents import page_totals, pdf_text
from tests.factories import InvoiceFactory, InvoiceLineItemFactory, PaymentFactory
from tests.portal.conftest import PortalWorld

ARTICLE_RE = re.compile(r'<article class="card invoice-detail">.*?</article>', re.DOTALL)
MONEY_RE = re.compile(r"[$€£][\d,]+\.\d\d")
DATE_RE = re.compile(r"[A-Z][a-z]{2} \d{1,2}, \d{4}")
SAFE_FILENAME_RE = re.compile(r'attachment; filename="[A-Za-z0-9._-]+\.pdf"')


def _invoice(world: PortalWorld, **fields):
    invoice = InvoiceFactory(
        client_party=world.client_contact.party,
        number="MY-77",
        status="partially_paid",
        amount_cents=286_500,
        balance_cents=186_500,
        deposit_cents=50_000,
        issued_at=datetime(2026, 3, 2),
        due_at=datetime(2026, 4, 1),
        notes="Pick-up on Saturday.",
        **fields,
    )
    InvoiceLineItemFactory(
        invoice=invoice, position=0, description="Golden retriever puppy", unit_price_cents=280_000
    )
    InvoiceLineItemFactory(invoice=invoice, position=1, description="Microchip", unit_price_cents=6_500)
    PaymentFactory(
        invoice=invoice,
        amount_cents=100_000,
        method="bank_transfer",
        reference="TR-5",
        paid_at=datetime(2026, 3, 5),
    )
    PaymentFactory(invoice=invoice, amount_cents=9_999, status="failed", paid_at=datetime(2026, 3, 4))
    db.session.flush()
    return invoice


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_the_invoice_pdf_carries_every_figure_and_date_of_the_page(world, login_as, client):
    invoice = _invoice(world)
    login_as(world.client_contact)
    page = client.get(f"/portal/sunny/invoices/{invoice.id}").get_data(as_text=True)
    body = ARTICLE_RE.search(page).group(0)

    response = client.get(f"/portal/sunny/invoices/{invoice.id}.pdf")

    assert response.status_code == 200
    text = _flat(pdf_text(response.data))
    assert "Invoice MY-77" in text and "From Sunny Kennels" in text
    assert "Golden retriever puppy" in text and "Microchip" in text and "Pick-up on Saturday." in text
    assert world.client_contact.party.name in text
    figures = MONEY_RE.findall(body)
    assert {"$2,865.00", "$1,000.00", "$1,865.00", "$500.00", "$99.99"} <= set(figures)
    assert [figure for figure in figures if figure not in text] == []
    dates = DATE_RE.findall(body)
    assert {"Mar 2, 2026", "Apr 1, 2026", "Mar 5, 2026"} <= set(dates)
    assert [day for day in dates if day not in text] == []
    for label, sign, amount in page_totals(page):
        assert _flat(f"{label} {sign} {amount}") in text
    assert "Deposit asked up front: $500.00, part of the total; it is paid." in text
    assert "Bank transfer" in text and "TR-5" in text and "Failed" in text


def test_the_pdf_is_a_download_with_a_safe_name(world, login_as, client):
    invoice = _invoice(world)
    login_as(world.client_contact)

    response = client.get(f"/portal/sunny/invoices/{invoice.id}.pdf")

    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="invoice-MY-77.pdf"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.data.startswith(b"%PDF-")


def test_a_number_with_odd_characters_makes_a_safe_filename(world, login_as, client):
    invoice = InvoiceFactory(client_party=world.client_contact.party, number='../A/B "x";\tné')
    login_as(world.client_contact)

    response = client.get(f"/portal/sunny/invoices/{invoice.id}.pdf")

    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="invoice-A-B-x-n.pdf"'
    assert SAFE_FILENAME_RE.fullmatch(response.headers["Content-Disposition"])
    assert '../A/B "x";' in pdf_text(response.data)


def test_text_in_any_script_downloads_without_an_error(world, login_as, client):
    party = world.client_contact.party
    party.name = "Zoë Ångström 山田 שרה"
    invoice = InvoiceFactory(
        client_party=party, number="UNI-1", notes="Notes: <b>bold</b> — مرحبا — 你好 — 🐾"
    )
    InvoiceLineItemFactory(
        invoice=invoice, description="Grooming 🐕 for 柴犬 — كلب — כלב — Ünïcödé", unit_price_cents=10_000
    )
    db.session.flush()
    login_as(world.client_contact)

    response = client.get(f"/portal/sunny/invoices/{invoice.id}.pdf")

    assert response.status_code == 200
    text = pdf_text(response.data)
    assert "Ünïcödé" in text and "Zoë Ångström" in text and "<b>bold</b>" in text
    assert "$100.00" in text


def test_the_invoice_page_and_the_list_link_the_pdf(world, login_as, client):
    invoice = _invoice(world)
    login_as(world.client_contact)

    detail = client.get(f"/portal/sunny/invoices/{invoice.id}").get_data(as_text=True)
    listing = client.get("/portal/sunny/invoices").get_data(as_text=True)
    fragment = client.get("/portal/sunny/invoices?status=open", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )

    link = f'href="/portal/sunny/invoices/{invoice.id}.pdf"'
    assert link in detail and "Download the PDF" in detail
    assert link in listing and link in fragment


def _received(world: PortalWorld):
    invoice = _invoice(world)
    return invoice, next(payment for payment in invoice.payments if payment.status == "succeeded")


def test_the_receipt_pdf_carries_the_payments_figures(world, login_as, client):
    invoice, payment = _received(world)
    login_as(world.client_contact)
    payments_page = client.get("/portal/sunny/payments").get_data(as_text=True)
    receipt_url = f"/portal/sunny/invoices/{invoice.id}/payments/{payment.id}/receipt.pdf"

    response = client.get(receipt_url)

    assert f'href="{receipt_url}"' in payments_page
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="receipt-MY-77-{payment.id}.pdf"'
    text = _flat(pdf_text(response.data))
    row = payments_page[payments_page.index(receipt_url) - 900 : payments_page.index(receipt_url)]
    for shown in ("Mar 5, 2026", "MY-77", "Bank transfer", "$1,000.00"):
        assert shown in row and shown in text
    assert "Sunny Kennels received this payment" in text
    assert "Balance due now $1,865.00" in text and "Reference TR-5" in text


def test_a_receipt_shows_what_was_refunded(world, login_as, client):
    invoice, payment = _received(world)
    payment.stripe_payment_intent_id = "pi_receipt_refund"
    payment.card_brand, payment.card_last4 = "visa", "4242"
    db.session.add(
        PaymentRefund(
            tenant_id=invoice.tenant_id, payment=payment, amount_cents=20_000, stripe_refund_id="re_1"
        )
    )
    db.session.flush()
    login_as(world.client_contact)
    status_page = client.get(f"/portal/sunny/invoices/{invoice.id}/payments/{payment.id}").get_data(
        as_text=True
    )

    response = client.get(f"/portal/sunny/invoices/{invoice.id}/payments/{payment.id}/receipt.pdf")

    text = _flat(pdf_text(response.data))
    assert "Download the receipt (PDF)" in status_page
    for shown in ("$1,000.00", "Visa ending in 4242", "Mar 5, 2026", "$200.00"):
        assert shown in status_page and shown in text
    assert "Refunded $200.00" in text


@pytest.mark.parametrize(
    "whose",
    ["neighbour", "other_tenant", "draft", "deleted", "missing"],
)
def test_an_invoice_the_client_may_not_see_is_a_404_as_pdf(world, login_as, client, whose):
    invoice = {
        "neighbour": lambda: InvoiceFactory(client_party=world.neighbour.party),
        "other_tenant": lambda: InvoiceFactory(client_party=world.other_tenant_contact.party),
        "draft": lambda: InvoiceFactory(client_party=world.client_contact.party, status="draft"),
        "deleted": lambda: InvoiceFactory(client_party=world.client_contact.party, deleted_at=utcnow()),
        "missing": lambda: None,
    }[whose]()
    payment = PaymentFactory(invoice=invoice) if invoice is not None else None
    db.session.flush()
    invoice_id = invoice.id if invoice is not None else 2_000_000_000
    payment_id = payment.id if payment is not None else 2_000_000_000
    login_as(world.client_contact)

    assert client.get(f"/portal/sunny/invoices/{invoice_id}.pdf").status_code == 404
    assert (
        client.get(f"/portal/sunny/invoices/{invoice_id}/payments/{payment_id}/receipt.pdf").status_code
        == 404
    )


def test_a_receipt_only_for_money_that_arrived_on_that_invoice(world, login_as, client):
    invoice, received = _received(world)
    failed = next(payment for payment in invoice.payments if payment.status == "failed")
    pending = PaymentFactory(invoice=invoice, status="pending")
    other = InvoiceFactory(client_party=world.client_contact.party)
    db.session.flush()
    login_as(world.client_contact)

    for payment in (failed, pending):
        url = f"/portal/sunny/invoices/{invoice.id}/payments/{payment.id}/receipt.pdf"
        assert client.get(url).status_code == 404
    # A real payment under another of the client's invoices' URLs.
    assert (
        client.get(f"/portal/sunny/invoices/{other.id}/payments/{received.id}/receipt.pdf").status_code == 404
    )
    payments_page = client.get("/portal/sunny/payments").get_data(as_text=True)
    assert f"/payments/{failed.id}/receipt.pdf" not in payments_page
    assert f"/payments/{pending.id}/receipt.pdf" not in payments_page


def test_signed_out_and_other_breeders_clients_are_sent_to_sign_in(world, login_as, client):
    invoice, payment = _received(world)
    urls = (
        f"/portal/sunny/invoices/{invoice.id}.pdf",
        f"/portal/sunny/invoices/{invoice.id}/payments/{payment.id}/receipt.pdf",
    )
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/portal/sunny/login" in response.headers["Location"]
    login_as(world.other_tenant_contact)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/portal/sunny/login" in response.headers["Location"]
        # Nor through the other breeder's own portal.
        assert client.get(url.replace("/portal/sunny/", "/portal/river/")).status_code == 404
