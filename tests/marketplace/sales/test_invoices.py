"""Create invoice: one per sale, in the seller's breeder's books, for the buyer's contact (found or made)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from marketplace.access import linked_tenant_ids
from marketplace.sales.invoicing import create_invoice
from models import Contact, Invoice, MarketplaceTransaction, Party
from models.types import utcnow
from tests.factories import ContactFactory, InvoiceFactory, PartyFactory
from tests.marketplace.messaging.conftest import thread_messages
from tests.marketplace.sales.conftest import audit_events, make_sale, sale_form, sales_of


def _invoices(tenant_id: int) -> list[Invoice]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Invoice)
            .where(Invoice.tenant_id == tenant_id)
            .order_by(Invoice.id)
            .execution_options(include_deleted=True)
        )
    )


def _contacts_of(user_id: int) -> list[Contact]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Contact)
            .where(Contact.marketplace_user_id == user_id)
            .execution_options(include_deleted=True)
        )
    )


def test_a_pending_sale_from_a_conversation_becomes_an_issued_invoice_for_a_new_contact(
    client, login_as, post, app, conversation, seller, buyer, tenant
):
    login_as(seller)
    post(f"/messages/{conversation.id}/sale", **sale_form(amount="250", payment_method="cash"))
    [sale] = sales_of(tenant.id)
    app.extensions.pop("outbox", None)
    before = utcnow()

    response = post(f"/dashboard/sales/{sale.id}/invoice")

    assert response.status_code == 303
    [invoice] = _invoices(tenant.id)
    assert invoice.number == "SA-M001"
    assert (invoice.status, invoice.amount_cents, invoice.balance_cents, invoice.currency) == (
        "issued",
        25_000,
        25_000,
        "USD",
    )
    assert invoice.is_marketplace_invoice is True and invoice.marketplace_transaction_id == sale.id
    assert before - timedelta(seconds=5) <= invoice.issued_at <= utcnow()
    assert invoice.due_at - invoice.issued_at == timedelta(days=14)
    [line] = invoice.line_items
    assert (line.description, line.quantity, line.unit_price_cents, line.amount_cents) == (
        "Stud service",
        1,
        25_000,
        25_000,
    )
    assert invoice.payments == []
    [contact] = _contacts_of(buyer.id)
    assert (contact.tenant_id, contact.first_name, contact.last_name, contact.email) == (
        tenant.id,
        "Bailey",
        "Buyer",
        buyer.email,
    )
    party = db.session.get(Party, contact.party_id)
    assert (party.type, party.name, party.email, party.tenant_id) == (
        "person",
        "Bailey Buyer",
        buyer.email,
        tenant.id,
    )
    assert invoice.client_party_id == party.id
    assert db.session.get(MarketplaceTransaction, sale.id).client_party_id == party.id
    [event] = audit_events("invoice.created")
    assert (event.subject_table, event.subject_id, event.tenant_id, event.actor_id) == (
        "Invoice",
        invoice.id,
        tenant.id,
        seller.id,
    )
    assert event.after["number"] == "SA-M001" and event.after["marketplace_transaction_id"] == sale.id

    last = thread_messages(conversation.id)[-1]
    assert (last.message_text, last.marketplace_transaction_id) == ("Invoice SA-M001 issued", sale.id)
    # The buyer gets one e-mail: the invoice's (the event message claims no notification of its own).
    outbox = app.extensions.get("outbox", [])
    assert [m["To"] for m in outbox] == [buyer.email]
    assert "SA-M001" in outbox[0]["Subject"] and "$250.00" in outbox[0].get_content()
    assert "/account/invoices" in outbox[0].get_content()
    login_as(buyer)
    assert "SA-M001" in client.get(f"/messages/{conversation.id}").get_data(as_text=True)
    # The new contact links the buyer to the breeder: the invoice is theirs under "My invoices".
    assert "SA-M001" in client.get("/account/invoices").get_data(as_text=True)
    assert client.get(f"/account/invoices/{invoice.id}").status_code == 200


def test_a_completed_sale_becomes_a_paid_invoice_with_its_payment(
    client, login_as, post, seller, tenant, party
):
    sale = make_sale(
        tenant, status="completed", client_party=party, payment_method="check", amount_cents=9_999
    )
    login_as(seller)
    assert post(f"/dashboard/sales/{sale.id}/invoice").status_code == 303
    [invoice] = _invoices(tenant.id)
    assert (invoice.status, invoice.balance_cents, invoice.client_party_id) == ("paid", 0, party.id)
    [payment] = invoice.payments
    assert (payment.status, payment.amount_cents, payment.method, payment.tenant_id) == (
        "succeeded",
        9_999,
        "check",
        tenant.id,
    )
    assert payment.paid_at == datetime.combine(sale.transaction_date, datetime.min.time())


def test_a_sale_with_only_a_description_gets_an_invoice_without_client(
    client, login_as, post, seller, tenant
):
    sale = make_sale(tenant, client_description="Walk-in at the county fair")
    login_as(seller)
    assert post(f"/dashboard/sales/{sale.id}/invoice").status_code == 303
    [invoice] = _invoices(tenant.id)
    assert invoice.client_party_id is None


def test_the_buyers_existing_contact_is_reused(client, login_as, post, seller, buyer, tenant):
    contact = ContactFactory(party=PartyFactory(tenant=tenant), marketplace_user_id=buyer.id)
    sale = make_sale(tenant, client_user_id=buyer.id)
    login_as(seller)
    assert post(f"/dashboard/sales/{sale.id}/invoice").status_code == 303
    assert [c.id for c in _contacts_of(buyer.id)] == [contact.id]
    assert _invoices(tenant.id)[0].client_party_id == contact.party_id


def test_the_buyers_contact_at_another_breeder_is_not_used(
    client, login_as, post, seller, buyer, tenant, other_tenant
):
    elsewhere = ContactFactory(party=PartyFactory(tenant=other_tenant), marketplace_user_id=buyer.id)
    sale = make_sale(tenant, client_user_id=buyer.id)
    login_as(seller)
    assert post(f"/dashboard/sales/{sale.id}/invoice").status_code == 303
    contacts = _contacts_of(buyer.id)
    assert len(contacts) == 2 and {c.tenant_id for c in contacts} == {tenant.id, other_tenant.id}
    assert _invoices(tenant.id)[0].client_party_id != elsewhere.party_id


def test_numbers_continue_the_series_and_skip_a_taken_one(client, login_as, post, seller, tenant, party):
    InvoiceFactory(client_party=party, number="SA-M001")
    first, second = make_sale(tenant), make_sale(tenant)
    login_as(seller)
    post(f"/dashboard/sales/{first.id}/invoice")
    post(f"/dashboard/sales/{second.id}/invoice")
    assert [i.number for i in _invoices(tenant.id)] == ["SA-M001", "SA-M002", "SA-M003"]


def test_a_second_invoice_for_one_sale_is_refused(client, login_as, post, seller, tenant):
    sale = make_sale(tenant)
    login_as(seller)
    assert post(f"/dashboard/sales/{sale.id}/invoice").status_code == 303
    response = post(f"/dashboard/sales/{sale.id}/invoice")
    assert response.status_code == 409
    assert "already has an invoice" in response.get_data(as_text=True)
    assert len(_invoices(tenant.id)) == 1
    assert len(audit_events("invoice.created")) == 1


def test_a_soft_deleted_invoice_still_counts(client, login_as, post, seller, tenant, party):
    sale = make_sale(tenant)
    InvoiceFactory(client_party=party, marketplace_transaction_id=sale.id, deleted_at=utcnow())
    db.session.commit()
    login_as(seller)
    assert post(f"/dashboard/sales/{sale.id}/invoice").status_code == 409


@pytest.mark.parametrize("status", ["cancelled", "refunded"])
def test_a_cancelled_or_refunded_sale_cannot_be_invoiced(client, login_as, post, seller, tenant, status):
    sale = make_sale(tenant, status=status)
    login_as(seller)
    response = post(f"/dashboard/sales/{sale.id}/invoice")
    assert response.status_code == 409
    assert f"A {status} sale cannot be invoiced." in response.get_data(as_text=True)
    assert _invoices(tenant.id) == [] and audit_events() == []


def test_another_breeders_sale_cannot_be_invoiced(client, login_as, post, other_seller, tenant, other_tenant):
    sale = make_sale(tenant)
    login_as(other_seller)
    assert post(f"/dashboard/sales/{sale.id}/invoice").status_code == 404
    assert _invoices(tenant.id) == [] and _invoices(other_tenant.id) == []


def test_without_a_csrf_token_no_invoice(client, login_as, seller, tenant):
    sale = make_sale(tenant)
    login_as(seller)
    assert client.post(f"/dashboard/sales/{sale.id}/invoice").status_code == 400
    assert _invoices(tenant.id) == []


def test_the_due_date_follows_the_setting(client, login_as, post, app, seller, tenant):
    sale = make_sale(tenant)
    login_as(seller)
    app.config["INVOICE_DUE_DAYS"] = 30
    try:
        post(f"/dashboard/sales/{sale.id}/invoice")
    finally:
        app.config["INVOICE_DUE_DAYS"] = 14
    [invoice] = _invoices(tenant.id)
    assert invoice.due_at - invoice.issued_at == timedelta(days=30)


def test_the_unique_index_is_the_last_guard_against_a_second_invoice(
    client, login_as, post, monkeypatch, seller, tenant, party
):
    import marketplace.sales.invoicing as invoicing

    sale = make_sale(tenant)
    InvoiceFactory(client_party=party, marketplace_transaction_id=sale.id, number="OTHER-APP-1")
    db.session.commit()
    monkeypatch.setattr(
        invoicing, "invoice_of_sale", lambda sale_id: None
    )  # as if a writer slipped past the lock
    login_as(seller)
    response = post(f"/dashboard/sales/{sale.id}/invoice")
    assert response.status_code == 409
    assert "already has an invoice" in response.get_data(as_text=True)
    assert [i.number for i in _invoices(tenant.id)] == ["OTHER-APP-1"]
    assert audit_events() == []


def test_invoicing_a_buyer_new_to_the_breeder_links_them_within_the_same_request(tenant, seller, buyer):
    assert linked_tenant_ids(buyer.id) == ()  # read once for this request, as a page's scope does
    sale = make_sale(tenant, client_user_id=buyer.id, amount_cents=25_000)

    create_invoice(sale.id, tenant.id, seller)

    assert linked_tenant_ids(buyer.id) == (tenant.id,)
