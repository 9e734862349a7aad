"""Status moves: pending → completed or cancelled, completed → refunded; anything else is a 409 that changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from models import Invoice, MarketplaceTransaction, TransactionStatus
from tests.marketplace.messaging.conftest import thread_messages
from tests.marketplace.sales.conftest import audit_events, make_sale, sale_form, sales_of

ALLOWED = {("pending", "completed"), ("pending", "cancelled"), ("completed", "refunded")}
PAIRS = [(a.value, b.value) for a in TransactionStatus for b in TransactionStatus]


def _status(sale_id: int) -> str | None:
    db.session.expire_all()
    return db.session.get(MarketplaceTransaction, sale_id).status


@pytest.mark.parametrize(("before", "after"), PAIRS)
def test_every_status_pair(client, login_as, post, seller, tenant, before, after):
    sale = make_sale(tenant, status=before)
    login_as(seller)
    response = post(f"/dashboard/sales/{sale.id}/status", to=after)
    if (before, after) in ALLOWED:
        assert response.status_code == 303
        assert response.headers["Location"].endswith(f"/dashboard/sales#sale-{sale.id}")
        assert _status(sale.id) == after
        [event] = audit_events("sale.status_changed")
        assert (event.subject_id, event.tenant_id, event.actor_id) == (sale.id, tenant.id, seller.id)
        assert (event.before, event.after) == ({"status": before}, {"status": after})
    else:
        assert response.status_code == 409
        page = response.get_data(as_text=True)
        assert (
            f"already {before}" in page
            if before == after
            else f"A {before} sale cannot be marked {after}." in page
        )
        assert _status(sale.id) == before
        assert audit_events() == []


@pytest.mark.parametrize("to", ["", "bogus", "x" * 100])
def test_an_unknown_status_is_refused(client, login_as, post, seller, tenant, to):
    sale = make_sale(tenant)
    login_as(seller)
    assert post(f"/dashboard/sales/{sale.id}/status", to=to).status_code == 409
    assert _status(sale.id) == "pending" and audit_events() == []


def test_another_breeders_sale_is_404_and_untouched(client, login_as, post, other_seller, tenant):
    sale = make_sale(tenant)
    login_as(other_seller)
    assert post(f"/dashboard/sales/{sale.id}/status", to="completed").status_code == 404
    assert post("/dashboard/sales/2147483648/status", to="completed").status_code == 404
    assert _status(sale.id) == "pending" and audit_events() == []


def test_a_move_of_a_sale_from_a_conversation_is_announced_there(
    client, login_as, post, conversation, seller, buyer, tenant
):
    login_as(seller)
    post(f"/messages/{conversation.id}/sale", **sale_form())
    [sale] = sales_of(tenant.id)
    assert post(f"/dashboard/sales/{sale.id}/status", to="completed").status_code == 303
    last = thread_messages(conversation.id)[-1]
    assert (last.message_text, last.marketplace_transaction_id, last.sender_user_id) == (
        "Sale marked completed",
        sale.id,
        seller.id,
    )
    login_as(buyer)
    page = client.get(f"/messages/{conversation.id}").get_data(as_text=True)
    assert page.count(f'class="deal-card deal-{sale.id}"') == 2
    assert "Sale completed" in page and "Sale pending" not in page


def test_a_move_still_happens_when_the_conversation_was_blocked_since(
    client, login_as, post, conversation, seller, tenant
):
    login_as(seller)
    post(f"/messages/{conversation.id}/sale", **sale_form())
    [sale] = sales_of(tenant.id)
    conversation.status = "blocked"
    db.session.commit()
    count = len(thread_messages(conversation.id))
    assert post(f"/dashboard/sales/{sale.id}/status", to="cancelled").status_code == 303
    assert _status(sale.id) == "cancelled"
    assert len(thread_messages(conversation.id)) == count


def test_without_a_csrf_token_the_status_stays(client, login_as, seller, tenant):
    sale = make_sale(tenant)
    login_as(seller)
    assert client.post(f"/dashboard/sales/{sale.id}/status", data={"to": "completed"}).status_code == 400
    assert _status(sale.id) == "pending"


def _invoice_of(sale_id: int) -> Invoice:
    db.session.expire_all()
    return db.session.scalars(select(Invoice).where(Invoice.marketplace_transaction_id == sale_id)).one()


def test_completing_an_invoiced_sale_records_the_off_platform_payment_and_pays_the_invoice(
    client, login_as, post, seller, tenant
):
    sale = make_sale(tenant, payment_method="check")
    login_as(seller)
    assert post(f"/dashboard/sales/{sale.id}/invoice").status_code == 303

    assert post(f"/dashboard/sales/{sale.id}/status", to="completed").status_code == 303

    invoice = _invoice_of(sale.id)
    assert (invoice.status, invoice.balance_cents) == ("paid", 0)
    [payment] = invoice.payments
    assert (payment.amount_cents, payment.status, payment.method) == (25_000, "succeeded", "check")
    [settled] = audit_events("invoice.settled_by_sale")
    assert settled.before == {"status": "issued", "balance_cents": 25_000}
    assert settled.after == {"status": "paid", "balance_cents": 0}


def test_cancelling_an_invoiced_sale_voids_its_unpaid_invoice(client, login_as, post, seller, tenant):
    sale = make_sale(tenant)
    login_as(seller)
    post(f"/dashboard/sales/{sale.id}/invoice")

    assert post(f"/dashboard/sales/{sale.id}/status", to="cancelled").status_code == 303

    invoice = _invoice_of(sale.id)
    assert (invoice.status, invoice.balance_cents, invoice.payments) == ("void", 0, [])
    assert _status(sale.id) == "cancelled"


def test_a_sale_whose_invoice_has_payments_cannot_be_cancelled(client, login_as, post, seller, tenant):
    sale = make_sale(tenant)
    login_as(seller)
    post(f"/dashboard/sales/{sale.id}/invoice")
    invoice = _invoice_of(sale.id)
    invoice.balance_cents = 5_000
    invoice.status = "partially_paid"
    db.session.commit()
    events_before = len(audit_events())

    response = post(f"/dashboard/sales/{sale.id}/status", to="cancelled")

    assert response.status_code == 409
    assert "has payments on it" in response.get_data(as_text=True)
    assert _status(sale.id) == "pending"
    assert (_invoice_of(sale.id).status, _invoice_of(sale.id).balance_cents) == ("partially_paid", 5_000)
    assert len(audit_events()) == events_before
