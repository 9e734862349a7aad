"""A seller refunds a completed sale paid by card from /dashboard/sales, through Stripe's Refund API against the
real localstripe: in full (the sale becomes refunded), in part (it stays completed, the refunded amount shown),
never more than what was paid by card less earlier refunds, once per form however often it is sent, and never
twice for one Stripe refund (the webhook's charge.refunded, a refund made in Stripe's dashboard)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from marketplace.sales.invoicing import move_sale
from models import Invoice, MarketplaceTransaction, Message, Payment, PaymentRefund
from payments.service import Payer, start_payment
from tests.documents import adds_up, page_totals
from tests.marketplace.pay.conftest import invoiced_sale
from tests.marketplace.sales.conftest import audit_events, make_sale
from tests.stripe_server import CARD_OK, event_payload, online_payments

REFUND_KEY_RE = re.compile(r'name="refund_key" value="([^"]+)"')


@pytest.fixture
def paid_sale(seller, buyer, conversation, localstripe, deliver):
    """A $250.00 sale recorded in the conversation, invoiced and paid by card in full: completed."""
    sale, invoice = invoiced_sale(seller, conversation)
    _pay(localstripe, deliver, invoice, buyer, 25_000)
    db.session.expire_all()
    assert db.session.get(MarketplaceTransaction, sale.id).status == "completed"
    return sale, invoice


def _pay(localstripe, deliver, invoice, buyer, cents: int) -> Payment:
    payer = Payer(email=buyer.email, name=None, ids={"marketplace_user_id": str(buyer.id)})
    payment = start_payment(invoice, cents, localstripe.token(CARD_OK), payer).payment
    response = deliver(localstripe.event_body(payment.stripe_payment_intent_id, "payment_intent.succeeded"))
    assert response.status_code == 200
    return db.session.get(Payment, payment.id)


@pytest.fixture
def refund(client, login_as, seller, csrf):
    """refund(sale, amount, key=None) -> the response to the sale's "Refund by card" form, as the list shows it
    (its CSRF token and refund key); key=... sends that key instead."""
    login_as(seller)

    def send(sale, amount: str, key: str | None = None):
        page = client.get("/dashboard/sales").get_data(as_text=True)
        row = page[page.index(f'id="sale-{sale.id}"') :]
        row = row[: row.index("</tr>")]
        if key is None:
            match = REFUND_KEY_RE.search(row)
            assert match, "the sale offers no refund by card"
            key = match.group(1)
        form = {"csrf_token": csrf("/dashboard/sales"), "amount": amount, "refund_key": key}
        response = client.post(f"/dashboard/sales/{sale.id}/refund", data=form)
        db.session.expire_all()
        return response

    return send


def _state(sale, invoice) -> tuple:
    db.session.expire_all()
    sale = db.session.get(MarketplaceTransaction, sale.id)
    invoice = db.session.get(Invoice, invoice.id)
    return sale.status, invoice.status, invoice.balance_cents


def _refunds(invoice) -> list[tuple[int, int]]:
    """(payment id, cents) of every recorded refund on the invoice, oldest first."""
    return [
        (row.payment_id, row.amount_cents)
        for row in db.session.scalars(
            select(PaymentRefund)
            .join(Payment, Payment.id == PaymentRefund.payment_id)
            .where(Payment.invoice_id == invoice.id)
            .order_by(PaymentRefund.id)
        )
    ]


def _stripe_refunds(localstripe, payment) -> list[int]:
    found = localstripe.client.v1.refunds.list(params={"payment_intent": payment.stripe_payment_intent_id})
    return sorted(r.amount for r in found.data)


def _row(client, sale) -> str:
    page = client.get("/dashboard/sales").get_data(as_text=True)
    row = page[page.index(f'id="sale-{sale.id}"') :]
    return row[: row.index("</tr>")]


def _thread_texts(conversation) -> list[str]:
    return list(
        db.session.scalars(
            select(Message.message_text).where(Message.thread_id == conversation.id).order_by(Message.id)
        )
    )


def test_a_full_refund_refunds_the_sale_and_restores_the_invoice(
    client, paid_sale, refund, localstripe, seller, conversation
):
    sale, invoice = paid_sale
    row = _row(client, sale)
    assert "Refund by card" in row and "up to $250.00" in row and 'value="250.00"' in row
    assert "Mark refunded" not in row  # paid by card: the money goes back through Stripe

    response = refund(sale, "250")

    assert response.status_code == 303
    assert "Refunded $250.00 to the buyer" in client.get("/dashboard/sales").get_data(as_text=True)
    (payment,) = online_payments(invoice)
    assert payment.status == "refunded" and payment.refunded_cents == 25_000
    assert _stripe_refunds(localstripe, payment) == [25_000]
    assert _state(sale, invoice) == ("refunded", "issued", 25_000)
    (paid_event,) = [e for e in audit_events("payment.refunded")]
    assert (paid_event.actor_kind, paid_event.actor_id) == ("marketplace_user", seller.id)
    assert paid_event.after["balance_cents"] == 25_000 and paid_event.after["status"] == "refunded"
    (sale_event,) = audit_events("sale.refunded_online")
    assert (sale_event.before["status"], sale_event.after["status"]) == ("completed", "refunded")
    assert sale_event.after["refunded_cents"] == 25_000
    assert _thread_texts(conversation)[-1] == "Refunded by card: $250.00. Sale refunded"
    row = _row(client, sale)
    assert "Refunded $250.00" in row and "Refund by card" not in row and "badge-refunded" in row


def test_partial_refunds_keep_the_sale_completed_then_the_rest_refunds_it(
    client, paid_sale, refund, localstripe
):
    sale, invoice = paid_sale

    assert refund(sale, "100").status_code == 303

    (payment,) = online_payments(invoice)
    assert (payment.status, payment.refunded_cents, payment.applied_cents) == ("succeeded", 10_000, 15_000)
    assert _state(sale, invoice) == ("completed", "partially_paid", 10_000)
    (event,) = audit_events("sale.refunded_in_part")
    assert event.after == {"status": "completed", "refunded_cents": 10_000, "refund_cents": 10_000}
    row = _row(client, sale)
    assert "Refunded $100.00" in row and "up to $150.00" in row and 'value="150.00"' in row

    assert refund(sale, "150.00").status_code == 303

    assert _state(sale, invoice) == ("refunded", "issued", 25_000)
    assert [cents for _, cents in _refunds(invoice)] == [10_000, 15_000]
    assert _stripe_refunds(localstripe, payment) == [10_000, 15_000]
    assert online_payments(invoice)[0].status == "refunded"


def test_a_refund_larger_than_what_is_left_is_refused_and_changes_nothing(
    client, paid_sale, refund, localstripe
):
    sale, invoice = paid_sale

    response = refund(sale, "250.01")

    assert response.status_code == 422
    assert "The refund can be at most $250.00" in response.get_data(as_text=True)
    assert _state(sale, invoice) == ("completed", "paid", 0)
    assert _refunds(invoice) == [] and _stripe_refunds(localstripe, online_payments(invoice)[0]) == []
    assert audit_events("payment.refunded") == []

    refund(sale, "100")
    response = refund(sale, "150.01")
    assert response.status_code == 422 and "at most $150.00" in response.get_data(as_text=True)
    assert _state(sale, invoice) == ("completed", "partially_paid", 10_000)


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "The amount must be more than $0.00."),
        ("ten", "Enter an amount in dollars"),
        ("", "Enter an amount"),
    ],
)
def test_an_unreadable_amount_is_refused(client, paid_sale, refund, amount, message):
    sale, invoice = paid_sale
    response = refund(sale, amount)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert _refunds(invoice) == []


def test_the_same_form_sent_twice_refunds_once(client, paid_sale, refund, localstripe):
    sale, invoice = paid_sale
    key = REFUND_KEY_RE.search(_row(client, sale)).group(1)

    first = refund(sale, "100", key=key)
    second = refund(sale, "100", key=key)

    assert first.status_code == second.status_code == 303
    assert _refunds(invoice) == [(online_payments(invoice)[0].id, 10_000)]
    assert _stripe_refunds(localstripe, online_payments(invoice)[0]) == [10_000]
    assert _state(sale, invoice) == ("completed", "partially_paid", 10_000)
    page = client.get("/dashboard/sales").get_data(as_text=True)
    assert "This refund was already made: $100.00 back to the buyer" in page
    # A new form (the list shown again) is a new refund.
    assert refund(sale, "50").status_code == 303
    assert [cents for _, cents in _refunds(invoice)] == [10_000, 5_000]


def test_a_forged_refund_key_is_refused(client, paid_sale, refund):
    sale, invoice = paid_sale
    assert refund(sale, "10", key="short").status_code == 422
    assert _refunds(invoice) == []


def test_a_refund_spans_the_card_payments_newest_first(
    client, seller, buyer, conversation, localstripe, deliver, refund
):
    sale, invoice = invoiced_sale(seller, conversation)
    older = _pay(localstripe, deliver, invoice, buyer, 10_000)
    newer = _pay(localstripe, deliver, invoice, buyer, 15_000)
    assert _state(sale, invoice) == ("completed", "paid", 0)

    assert refund(sale, "200").status_code == 303

    assert _refunds(invoice) == [(newer.id, 15_000), (older.id, 5_000)]
    assert _stripe_refunds(localstripe, newer) == [15_000] and _stripe_refunds(localstripe, older) == [5_000]
    older, newer = online_payments(invoice)
    assert (newer.status, older.status, older.applied_cents) == ("refunded", "succeeded", 5_000)
    assert _state(sale, invoice) == ("completed", "partially_paid", 20_000)


def test_refunding_an_overpayment_returns_the_excess_first(
    client, seller, buyer, conversation, localstripe, deliver, refund, tenant
):
    sale, invoice = invoiced_sale(seller, conversation)
    payer = Payer(email=buyer.email, name=None, ids={"marketplace_user_id": str(buyer.id)})
    payment = start_payment(invoice, 25_000, localstripe.token(CARD_OK), payer).payment
    move_sale(sale.id, tenant.id, "completed", seller)  # paid off the platform meanwhile, says the seller
    db.session.commit()
    deliver(localstripe.event_body(payment.stripe_payment_intent_id, "payment_intent.succeeded"))
    payment = db.session.get(Payment, payment.id)
    assert payment.overpaid_cents == 25_000

    assert refund(sale, "100").status_code == 303  # part of the excess: the invoice is still paid

    payment = online_payments(invoice)[0]
    assert (payment.overpaid_cents, payment.applied_cents) == (15_000, 0)
    assert _state(sale, invoice) == ("completed", "paid", 0)

    assert refund(sale, "150").status_code == 303  # the rest of the excess: the sale was paid, it stays so

    payment = online_payments(invoice)[0]
    assert (payment.status, payment.overpaid_cents) == ("refunded", None)
    assert _state(sale, invoice) == ("completed", "paid", 0)
    assert "Mark refunded" in _row(client, sale)  # nothing left by card: the off-platform move is back


def test_mark_refunded_is_refused_for_a_sale_paid_by_card(client, paid_sale, login_as, seller, csrf):
    sale, invoice = paid_sale
    login_as(seller)
    response = client.post(
        f"/dashboard/sales/{sale.id}/status", data={"csrf_token": csrf("/dashboard/sales"), "to": "refunded"}
    )
    assert response.status_code == 409
    assert "This sale was paid by card" in response.get_data(as_text=True)
    assert _state(sale, invoice) == ("completed", "paid", 0)


def test_a_sale_paid_off_the_platform_keeps_mark_refunded(client, login_as, seller, tenant, csrf):
    sale = make_sale(tenant, status="completed", payment_method="cash")
    login_as(seller)
    row = _row(client, sale)
    assert "Mark refunded" in row and "Refund by card" not in row

    form = {"csrf_token": csrf("/dashboard/sales"), "amount": "10", "refund_key": "k" * 24}
    response = client.post(f"/dashboard/sales/{sale.id}/refund", data=form)
    assert response.status_code == 409 and "Nothing was paid by card" in response.get_data(as_text=True)

    response = client.post(
        f"/dashboard/sales/{sale.id}/status", data={"csrf_token": csrf("/dashboard/sales"), "to": "refunded"}
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(MarketplaceTransaction, sale.id).status == "refunded"


def test_only_a_completed_sale_of_this_breeder_is_refunded(
    client, paid_sale, refund, login_as, other_seller, csrf, seller, tenant
):
    sale, invoice = paid_sale
    key = REFUND_KEY_RE.search(_row(client, sale)).group(1)
    login_as(other_seller)
    form = {"csrf_token": csrf("/dashboard/sales"), "amount": "10", "refund_key": key}
    assert client.post(f"/dashboard/sales/{sale.id}/refund", data=form).status_code == 404

    pending, _ = invoiced_sale(seller, None, 5_000, "Pending sale")
    login_as(seller)
    form["csrf_token"] = csrf("/dashboard/sales")
    response = client.post(f"/dashboard/sales/{pending.id}/refund", data=form)
    assert response.status_code == 409 and "A pending sale cannot be refunded." in response.get_data(
        as_text=True
    )
    assert _refunds(invoice) == []


def test_stripe_unreachable_refunds_nothing(client, paid_sale, refund, localstripe):
    sale, invoice = paid_sale
    key = REFUND_KEY_RE.search(_row(client, sale)).group(1)
    with localstripe.stopped():
        response = refund(sale, "100", key=key)
    assert response.status_code == 503
    assert _state(sale, invoice) == ("completed", "paid", 0) and _refunds(invoice) == []
    assert refund(sale, "100", key=key).status_code == 303  # the same form goes through once Stripe is back
    assert _refunds(invoice) == [(online_payments(invoice)[0].id, 10_000)]


# --- refunds seen from Stripe's side ---------------------------------------------------------------------------


def _charge_refunded(localstripe, payment, event_id: str) -> bytes:
    intent = localstripe.client.v1.payment_intents.retrieve(payment.stripe_payment_intent_id)
    charge = intent.latest_charge if isinstance(intent.latest_charge, str) else intent.latest_charge.id
    return event_payload(
        event_id, "charge.refunded", {"object": "charge", "id": charge, "payment_intent": intent.id}
    )


def test_the_webhooks_charge_refunded_for_our_own_refund_changes_nothing(
    client, paid_sale, refund, localstripe, deliver
):
    sale, invoice = paid_sale
    refund(sale, "100")
    payment = online_payments(invoice)[0]

    assert deliver(_charge_refunded(localstripe, payment, "evt_refund_1")).status_code == 200

    assert _refunds(invoice) == [(payment.id, 10_000)]
    assert _state(sale, invoice) == ("completed", "partially_paid", 10_000)
    assert len(audit_events("payment.refunded")) == 1


def test_a_refund_made_in_stripes_dashboard_is_recorded_once_from_the_webhook(
    client, paid_sale, localstripe, deliver, conversation
):
    sale, invoice = paid_sale
    payment = online_payments(invoice)[0]
    localstripe.client.v1.refunds.create(params={"payment_intent": payment.stripe_payment_intent_id})
    body = _charge_refunded(localstripe, payment, "evt_refund_2")

    assert deliver(body).status_code == 200
    assert deliver(body).status_code == 200  # the same event again
    assert deliver(_charge_refunded(localstripe, payment, "evt_refund_3")).status_code == 200  # another event

    assert _refunds(invoice) == [(payment.id, 25_000)]
    assert _state(sale, invoice) == ("refunded", "issued", 25_000)
    (event,) = audit_events("sale.refunded_online")
    assert (event.actor_kind, event.actor_id) == ("system", None)
    assert _thread_texts(conversation)[-1] == "Refunded by card: $250.00. Sale refunded"


def test_a_refund_made_in_stripes_dashboard_counts_before_the_next_refund(
    client, paid_sale, refund, localstripe
):
    sale, invoice = paid_sale
    payment = online_payments(invoice)[0]
    # localstripe sends no refund events: the next refund from the list asks Stripe first.
    localstripe.client.v1.refunds.create(
        params={"payment_intent": payment.stripe_payment_intent_id, "amount": 20_000}
    )

    response = refund(sale, "100")

    assert response.status_code == 422 and "at most $50.00" in response.get_data(as_text=True)
    assert _refunds(invoice) == [(payment.id, 20_000)]  # caught up, and kept
    assert _state(sale, invoice) == ("completed", "partially_paid", 20_000)


def test_the_buyers_invoice_shows_the_refund_and_adds_up(client, paid_sale, refund, login_as, buyer):
    sale, invoice = paid_sale
    refund(sale, "100")

    login_as(buyer)
    page = client.get(f"/account/invoices/{invoice.id}").get_data(as_text=True)

    totals = page_totals(page)
    assert totals[1:] == [("Paid, less refunds", "−", "$150.00"), ("Balance due", "=", "$100.00")]
    assert adds_up(totals)
    assert "$100.00 refunded" in page


def test_a_refund_event_that_arrives_before_the_payments_success_records_both(
    client, seller, buyer, conversation, localstripe, deliver
):
    sale, invoice = invoiced_sale(seller, conversation)
    payer = Payer(email=buyer.email, name=None, ids={"marketplace_user_id": str(buyer.id)})
    payment = start_payment(invoice, 25_000, localstripe.token(CARD_OK), payer).payment
    localstripe.client.v1.refunds.create(
        params={"payment_intent": payment.stripe_payment_intent_id, "amount": 5_000}
    )

    assert deliver(_charge_refunded(localstripe, payment, "evt_refund_early")).status_code == 200

    payment = online_payments(invoice)[0]
    assert (payment.status, payment.refunded_cents) == ("succeeded", 5_000)
    assert _state(sale, invoice) == ("completed", "partially_paid", 5_000)
    # The success event, late: nothing more.
    deliver(localstripe.event_body(payment.stripe_payment_intent_id, "payment_intent.succeeded"))
    assert _state(sale, invoice) == ("completed", "partially_paid", 5_000)
    assert _refunds(invoice) == [(payment.id, 5_000)]
