"""The denial matrix: who may open which portal URL."""

from __future__ import annotations

import pytest

from app.extensions import db
from tests.factories import InvoiceFactory
from tests.portal.conftest import PortalWorld

SIGNED_IN_PAGES = ["/invoices", "/invoices/{mine}", "/payments", "/account/password"]


@pytest.fixture
def mine(world: PortalWorld):
    invoice = InvoiceFactory(client_party=world.client_contact.party, number="MY-1")
    db.session.flush()
    return invoice


@pytest.mark.parametrize("path", SIGNED_IN_PAGES)
def test_signed_out_visitor_is_sent_to_the_login_page(world, mine, client, path):
    response = client.get("/portal/sunny" + path.format(mine=mine.id))

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/portal/sunny/login?next=/portal/sunny/")


@pytest.mark.parametrize("path", SIGNED_IN_PAGES)
def test_client_of_one_breeder_is_signed_out_at_another_breeders_portal(world, mine, login_as, client, path):
    login_as(world.client_contact)

    response = client.get("/portal/river" + path.format(mine=mine.id))

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/portal/river/login")


def test_client_of_one_breeder_sees_the_other_breeders_login_form(world, login_as, client):
    login_as(world.client_contact)

    page = client.get("/portal/river/login").get_data(as_text=True)

    assert "River Stables" in page
    assert 'name="password"' in page


@pytest.mark.parametrize(
    "path",
    [
        "/login",
        "/invoices",
        "/invoices/1",
        "/payments",
        "/forgot-password",
        "/account/password",
        "/set-password/abc",
        "/",
    ],
)
def test_unknown_breeder_slug_is_not_found(world, login_as, client, path):
    login_as(world.client_contact)

    assert client.get("/portal/no-such-breeder" + path).status_code == 404


def test_client_cannot_open_a_neighbours_invoice(world, login_as, client):
    neighbours = InvoiceFactory(client_party=world.neighbour.party)
    login_as(world.client_contact)

    response = client.get(f"/portal/sunny/invoices/{neighbours.id}")

    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_client_cannot_open_another_breeders_invoice_by_guessing_its_id(world, login_as, client):
    theirs = InvoiceFactory(client_party=world.other_tenant_contact.party)
    login_as(world.client_contact)

    assert client.get(f"/portal/sunny/invoices/{theirs.id}").status_code == 404


def test_client_cannot_open_their_own_draft_invoice(world, login_as, client):
    draft = InvoiceFactory(client_party=world.client_contact.party, status="draft")
    login_as(world.client_contact)

    assert client.get(f"/portal/sunny/invoices/{draft.id}").status_code == 404


def test_client_cannot_open_their_own_deleted_invoice(world, login_as, client):
    gone = InvoiceFactory(client_party=world.client_contact.party)
    gone.soft_delete()
    db.session.flush()
    login_as(world.client_contact)

    assert client.get(f"/portal/sunny/invoices/{gone.id}").status_code == 404


@pytest.mark.parametrize("invoice_id", ["0", "2147483648", "99999999999999999999999", "abc", "-1"])
def test_impossible_invoice_ids_are_not_found(world, login_as, client, invoice_id):
    login_as(world.client_contact)

    assert client.get(f"/portal/sunny/invoices/{invoice_id}").status_code == 404


def test_client_can_open_their_own_invoice(world, mine, login_as, client):
    login_as(world.client_contact)

    assert client.get(f"/portal/sunny/invoices/{mine.id}").status_code == 200


def test_client_whose_portal_access_was_removed_is_signed_out(world, mine, login_as, client):
    login_as(world.client_contact)
    world.client_contact.portal_enabled = False
    db.session.flush()

    assert client.get("/portal/sunny/invoices").status_code == 302


def test_marketplace_user_is_not_a_portal_client(world, mine, login_as, client):
    from tests.factories import MarketplaceUserFactory

    login_as(MarketplaceUserFactory())

    assert client.get("/portal/sunny/invoices").status_code == 302
