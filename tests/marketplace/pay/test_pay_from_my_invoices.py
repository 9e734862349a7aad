"""A marketplace buyer pays an invoice from "My invoices", against the real localstripe: the same pages as the
portal's (processing, then paid with the receipt), the buyer's own Stripe Customer kept across payments, and a
paid marketplace invoice completes its sale with an audit row and a "Paid online" event in its conversation."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.security import CSP
from models import AuditEvent, MarketplaceTransaction, MarketplaceUser, Message
from tests.marketplace.pay.conftest import STATUS_URL_RE, invoiced_sale
from tests.stripe_server import CARD_AUTHENTICATE, CARD_DECLINED, online_payments


def _receipts(app) -> list:
    return [m for m in app.extensions.get("outbox", []) if m["Subject"].startswith("Receipt")]


def _succeed(deliver, localstripe, payment) -> None:
    response = deliver(localstripe.event_body(payment.stripe_payment_intent_id, "payment_intent.succeeded"))
    assert response.status_code == 200, response.get_data(as_text=True)


def _sale(purchase) -> MarketplaceTransaction:
    db.session.expire_all()
    return db.session.get(MarketplaceTransaction, purchase.sale.id)


def _thread_texts(purchase) -> list[str]:
    return list(
        db.session.scalars(
            select(Message.message_text).where(Message.thread_id == purchase.thread.id).order_by(Message.id)
        )
    )


def test_my_invoice_offers_pay_now_and_the_payment_page_is_the_portals(client, purchase, localstripe):
    page = client.get(purchase.invoice_url).get_data(as_text=True)
    assert f'href="{purchase.pay_url}"' in page and "Pay now" in page

    response = client.get(purchase.pay_url)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"Pay invoice {purchase.invoice.number}" in page and "Breeder Marketplace" in page
    assert 'value="250.00"' in page and 'id="card-element"' in page
    assert f'src="{localstripe.server.js_url}"' in page and "4242 4242 4242 4242" in page
    assert f'action="{purchase.pay_url}"' in page and f'href="{purchase.invoice_url}"' in page


def test_only_the_payment_page_admits_the_stripe_origin(client, purchase, localstripe, pay_now):
    policy = client.get(purchase.pay_url).headers["Content-Security-Policy"]
    assert f"script-src 'self' {localstripe.base_url}" in policy

    status_url = pay_now().headers["Location"]
    for url in (purchase.invoice_url, "/account/invoices", status_url, "/"):
        assert client.get(url).headers["Content-Security-Policy"] == CSP, url


def test_paying_in_full_completes_the_sale_with_a_receipt_an_audit_row_and_a_paid_online_event(
    app, client, purchase, pay_now, deliver, localstripe
):
    app.extensions["outbox"] = []
    response = pay_now()

    assert response.status_code == 303
    match = STATUS_URL_RE.search(response.headers["Location"])
    assert match and int(match.group(1)) == purchase.invoice.id
    (payment,) = online_payments(purchase.invoice)
    assert (payment.status, payment.amount_cents, payment.card_last4) == ("pending", 25_000, "4242")
    intent = localstripe.client.v1.payment_intents.retrieve(payment.stripe_payment_intent_id)
    metadata = intent.metadata.to_dict()
    assert metadata["marketplace_user_id"] == str(purchase.buyer.id)
    assert metadata["invoice_id"] == str(purchase.invoice.id) and "contact_id" in metadata
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Processing" in page and 'hx-trigger="every 2s"' in page and "Breeder Marketplace" in page

    _succeed(deliver, localstripe, payment)

    block = client.get(response.headers["Location"], headers={"HX-Request": "true"}).get_data(as_text=True)
    assert block.lstrip().startswith('<div id="payment-status"') and "every 2s" not in block
    assert "Paid" in block and "Visa ending in 4242" in block and "$250.00" in block
    assert (purchase.invoice.status, purchase.invoice.balance_cents) == ("paid", 0)
    sale = _sale(purchase)
    assert (sale.status, sale.stripe_payment_intent_id) == ("completed", intent.id)
    audit = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "sale.paid_online", AuditEvent.subject_id == sale.id)
    ).one()
    assert (audit.actor_kind, audit.before["status"], audit.after["status"]) == (
        "system",
        "pending",
        "completed",
    )
    assert _thread_texts(purchase)[-1] == (
        f"Paid online: $250.00 by card, invoice {purchase.invoice.number} paid in full"
    )
    (receipt,) = _receipts(app)
    assert receipt["To"] == purchase.buyer.email
    # Paid: the invoice page offers no Pay now, and the pay page says why.
    assert "Pay now" not in client.get(purchase.invoice_url).get_data(as_text=True)
    assert client.get(purchase.pay_url).status_code == 409


def test_the_buyers_stripe_customer_is_kept_and_reused(client, purchase, pay_now, localstripe, deliver):
    assert purchase.buyer.stripe_customer_id is None
    pay_now(amount="100")
    (first,) = online_payments(purchase.invoice)
    customer_id = db.session.get(MarketplaceUser, purchase.buyer.id).stripe_customer_id
    assert customer_id and customer_id.startswith("cus_")
    assert (
        localstripe.client.v1.payment_intents.retrieve(first.stripe_payment_intent_id).customer == customer_id
    )
    _succeed(deliver, localstripe, first)

    pay_now(amount="150")  # the rest, with another card token: the same Customer
    _, second = online_payments(purchase.invoice)
    assert (
        localstripe.client.v1.payment_intents.retrieve(second.stripe_payment_intent_id).customer
        == customer_id
    )
    assert db.session.get(MarketplaceUser, purchase.buyer.id).stripe_customer_id == customer_id
    cards = localstripe.client.v1.customers.payment_sources.list(customer_id, params={"object": "card"})
    assert len(cards.data) == 2


def test_a_customer_stripe_no_longer_knows_is_replaced(client, purchase, pay_now, localstripe):
    purchase.buyer.stripe_customer_id = "cus_gone"
    db.session.commit()

    assert pay_now().status_code == 303

    (payment,) = online_payments(purchase.invoice)
    kept = db.session.get(MarketplaceUser, purchase.buyer.id).stripe_customer_id
    assert kept != "cus_gone" and kept.startswith("cus_")
    assert localstripe.client.v1.payment_intents.retrieve(payment.stripe_payment_intent_id).customer == kept


def test_a_declined_card_shows_stripes_message_and_changes_nothing(client, purchase, pay_now):
    response = pay_now(card=CARD_DECLINED)

    assert response.status_code == 422
    assert "Your card was declined." in response.get_data(as_text=True)
    assert [p.status for p in online_payments(purchase.invoice)] == ["failed"]
    assert (purchase.invoice.status, purchase.invoice.balance_cents) == ("issued", 25_000)
    assert _sale(purchase).status == "pending"
    assert not any(text.startswith("Paid online") for text in _thread_texts(purchase))


def test_a_card_that_asks_for_authentication_comes_back_to_the_marketplace_page(
    client, purchase, pay_now, localstripe
):
    response = pay_now(card=CARD_AUTHENTICATE)

    (payment,) = online_payments(purchase.invoice)
    assert response.headers["Location"] == f"{purchase.pay_url}?authenticate={payment.id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "data-client-secret=" in page
    assert f'data-authenticated-url="/account/invoices/{purchase.invoice.id}/payments/{payment.id}"' in page


def test_a_partial_payment_leaves_the_sale_pending_and_the_rest_completes_it(
    client, purchase, pay_now, deliver, localstripe
):
    pay_now(amount="50")
    _succeed(deliver, localstripe, online_payments(purchase.invoice)[0])
    assert (purchase.invoice.status, purchase.invoice.balance_cents) == ("partially_paid", 20_000)
    assert _sale(purchase).status == "pending"
    assert 'value="200.00"' in client.get(purchase.pay_url).get_data(as_text=True)

    pay_now(amount="200")
    _succeed(deliver, localstripe, online_payments(purchase.invoice)[1])

    assert (purchase.invoice.status, purchase.invoice.balance_cents) == ("paid", 0)
    assert _sale(purchase).status == "completed"


def test_an_invoice_of_a_sale_that_was_refunded_cannot_be_paid(client, purchase, pay_now, seller):
    second, invoice = invoiced_sale(seller, purchase.thread, 9_000, "Shipping kit")
    second.status = "refunded"
    db.session.commit()

    assert "Pay now" not in client.get(f"/account/invoices/{invoice.id}").get_data(as_text=True)
    response = pay_now(amount="90", invoice=invoice)
    assert response.status_code == 409
    assert "The sale this invoice is for was refunded" in response.get_data(as_text=True)
    assert online_payments(invoice) == []
