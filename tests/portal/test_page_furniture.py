"""Around the portal pages: navigation, error pages that lead a client back, and the phone layout's labels."""

from __future__ import annotations

from tests.factories import InvoiceFactory, InvoiceLineItemFactory
from tests.portal.conftest import PortalWorld


def test_portal_sign_in_page_offers_no_marketplace_sign_in_or_join(world: PortalWorld, client):
    page = client.get("/portal/sunny/login").get_data(as_text=True)

    assert "Sunny Kennels" in page
    assert 'href="/register"' not in page
    assert 'href="/login"' not in page


def test_navigation_marks_the_page_being_shown(world: PortalWorld, login_as, client):
    login_as(world.client_contact)

    page = client.get("/portal/sunny/payments").get_data(as_text=True)

    assert '<a href="/portal/sunny/payments" aria-current="page">Payments</a>' in page
    assert '<a href="/portal/sunny/invoices">Invoices</a>' in page


def test_a_missing_invoice_leads_the_client_back_to_their_invoices(world: PortalWorld, login_as, client):
    login_as(world.client_contact)
    neighbours = InvoiceFactory(client_party=world.neighbour.party, number="N-9")

    response = client.get(f"/portal/sunny/invoices/{neighbours.id}")

    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "<title>Page not found · Sunny Kennels</title>" in page
    assert '<a href="/portal/sunny/invoices">Go to your invoices</a>' in page


def test_too_many_portal_sign_ins_lead_back_to_that_portals_sign_in(world: PortalWorld, client, csrf):
    token = csrf()
    data = {"email": "client@example.test", "password": "not-the-password-1", "csrf_token": token}
    statuses = [
        client.post(
            "/portal/sunny/login", data=data, environ_base={"REMOTE_ADDR": "203.0.113.77"}
        ).status_code
        for _ in range(10)
    ]

    response = client.post("/portal/sunny/login", data=data, environ_base={"REMOTE_ADDR": "203.0.113.77"})

    page = response.get_data(as_text=True)
    assert statuses == [422] * 10
    assert response.status_code == 429
    assert '<a href="/portal/sunny/login">Back to sign in</a>' in page
    assert 'href="/register"' not in page


def test_a_line_item_names_its_quantity_for_the_phone_layout(world: PortalWorld, login_as, client):
    # On a phone the quantity column folds into "3 × $20.00" under the description (CSS reads data-label).
    invoice = InvoiceFactory(client_party=world.client_contact.party, number="MY-LINES", amount_cents=6_000)
    InvoiceLineItemFactory(invoice=invoice, quantity=3, unit_price_cents=2_000, amount_cents=6_000)
    login_as(world.client_contact)

    page = client.get(f"/portal/sunny/invoices/{invoice.id}").get_data(as_text=True)

    assert 'data-label="3 ×">$20.00</td>' in page
