"""Invoices that add up: the totals are lines a reader can add and take away, ending at the balance due, the
same on the page and in the PDF. The deposit (asked up front, part of the total) is a note, never a line."""

from __future__ import annotations

from datetime import datetime

import pytest

from app.extensions import db
from models import PaymentRefund
from tests.documents import adds_up, cents, page_totals, pdf_text
from tests.factories import InvoiceFactory, InvoiceLineItemFactory, PaymentFactory


def _invoice(world, amount, balance, lines=(), payments=(), **fields):
    invoice = InvoiceFactory(
        client_party=world.client_contact.party, amount_cents=amount, balance_cents=balance, **fields
    )
    for position, price in enumerate(lines):
        InvoiceLineItemFactory(invoice=invoice, position=position, unit_price_cents=price)
    for day, (paid, status) in enumerate(payments, start=1):
        PaymentFactory(invoice=invoice, amount_cents=paid, status=status, paid_at=datetime(2026, 3, day))
    db.session.flush()
    return invoice


CASES = {
    # SA-1004 of the demo: the reader saw Total, Deposit, Payments applied and Balance due and could not add them.
    "deposit_and_a_payment": (
        dict(
            amount=286_500,
            balance=186_500,
            lines=(280_000, 6_500),
            payments=[(100_000, "succeeded")],
            deposit_cents=50_000,
            status="partially_paid",
        ),
        [
            ("Total", "", "$2,865.00"),
            ("Paid (deposit included)", "−", "$1,000.00"),
            ("Balance due", "=", "$1,865.00"),
        ],
    ),
    "paid_in_full_with_a_failed_try": (
        dict(
            amount=22_500,
            balance=0,
            lines=(22_500,),
            payments=[(5_000, "failed"), (22_500, "succeeded")],
            status="paid",
        ),
        [("Total", "", "$225.00"), ("Paid", "−", "$225.00"), ("Balance due", "=", "$0.00")],
    ),
    "nothing_paid_yet": (
        dict(amount=45_000, balance=45_000, lines=(45_000,)),
        [("Total", "", "$450.00"), ("Balance due", "=", "$450.00")],
    ),
    "void": (
        dict(amount=12_000, balance=0, lines=(12_000,), status="void"),
        [("Total", "", "$120.00"), ("Voided", "−", "$120.00"), ("Balance due", "=", "$0.00")],
    ),
    "lines_that_do_not_make_the_total": (
        dict(amount=9_000, balance=9_000, lines=(5_000, 5_000)),
        [
            ("Items", "", "$100.00"),
            ("Other charges and discounts", "−", "$10.00"),
            ("Total", "=", "$90.00"),
            ("Balance due", "=", "$90.00"),
        ],
    ),
    "a_balance_lowered_outside_the_payments": (
        dict(amount=50_000, balance=30_000, payments=[(10_000, "succeeded")], status="partially_paid"),
        [
            ("Total", "", "$500.00"),
            ("Paid", "−", "$100.00"),
            ("Other credits", "−", "$100.00"),
            ("Balance due", "=", "$300.00"),
        ],
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_the_totals_lines_add_up_on_the_page_and_in_the_pdf(world, login_as, client, case):
    fields, expected = CASES[case]
    invoice = _invoice(world, **fields)
    login_as(world.client_contact)

    page = client.get(f"/portal/sunny/invoices/{invoice.id}").get_data(as_text=True)
    text = " ".join(pdf_text(client.get(f"/portal/sunny/invoices/{invoice.id}.pdf").data).split())

    lines = page_totals(page)
    assert lines == expected
    assert adds_up(lines) and cents(lines[-1][2]) == invoice.balance_cents
    for label, sign, amount in lines:
        assert " ".join(f"{label} {sign} {amount}".split()) in text
    assert "Deposit</th>" not in page and "Payments applied" not in page


def test_the_deposit_note_says_what_of_it_is_still_to_pay(world, login_as, client):
    unpaid = _invoice(world, 100_000, 80_000, payments=[(20_000, "succeeded")], deposit_cents=50_000)
    paid = _invoice(world, 100_000, 40_000, payments=[(60_000, "succeeded")], deposit_cents=50_000)
    login_as(world.client_contact)

    for invoice, sentence in (
        (unpaid, "Deposit asked up front: $500.00, part of the total; $300.00 of it is still to pay."),
        (paid, "Deposit asked up front: $500.00, part of the total; it is paid."),
    ):
        page = client.get(f"/portal/sunny/invoices/{invoice.id}").get_data(as_text=True)
        pdf = " ".join(pdf_text(client.get(f"/portal/sunny/invoices/{invoice.id}.pdf").data).split())
        assert sentence in page and sentence in pdf


def test_a_refund_shows_as_money_paid_less_refunds(world, login_as, client):
    invoice = _invoice(world, 40_000, 20_000, payments=[(30_000, "succeeded")], status="partially_paid")
    payment = invoice.payments[0]
    payment.stripe_payment_intent_id = "pi_totals_refund"
    db.session.add(
        PaymentRefund(
            tenant_id=invoice.tenant_id, payment=payment, amount_cents=10_000, stripe_refund_id="re_t"
        )
    )
    db.session.flush()
    login_as(world.client_contact)

    lines = page_totals(client.get(f"/portal/sunny/invoices/{invoice.id}").get_data(as_text=True))

    assert lines == [
        ("Total", "", "$400.00"),
        ("Paid, less refunds", "−", "$200.00"),
        ("Balance due", "=", "$200.00"),
    ]
    assert adds_up(lines)
