"""One browser, two faces: a signed-in portal client is told before a marketplace sign-in replaces theirs (and the
other way round), and marketplace pages never show the portal's navigation."""

from __future__ import annotations

from app.extensions import db
from tests.factories import MarketplaceUserFactory
from tests.portal.conftest import PortalWorld

NOTICE = "Signing in here will sign you out of it."


def test_a_portal_client_is_warned_on_the_marketplace_sign_in_page(world: PortalWorld, login_as, client):
    login_as(world.client_contact)

    page = client.get("/login").get_data(as_text=True)

    assert "You are signed in to Sunny Kennels’s portal" in page
    assert NOTICE in page


def test_nobody_signed_in_sees_no_warning(world: PortalWorld, client):
    assert NOTICE not in client.get("/login").get_data(as_text=True)
    assert NOTICE not in client.get("/portal/sunny/login").get_data(as_text=True)


def test_a_marketplace_user_is_warned_on_a_portal_sign_in_page(world: PortalWorld, login_as, client):
    login_as(MarketplaceUserFactory(first_name="Bea", last_name="Buyer"))

    page = client.get("/portal/sunny/login").get_data(as_text=True)
    assert "You are signed in to the marketplace as Bea Buyer." in page and NOTICE in page
    assert NOTICE not in client.get("/login").get_data(as_text=True)


def test_a_client_of_one_breeder_is_warned_on_another_breeders_portal_sign_in(
    world: PortalWorld, login_as, client
):
    login_as(world.client_contact)

    assert NOTICE in client.get("/portal/river/login").get_data(as_text=True)
    assert NOTICE not in client.get("/portal/sunny/login").get_data(as_text=True)


def test_marketplace_pages_never_show_the_portals_navigation(world: PortalWorld, login_as, client):
    login_as(world.client_contact)

    for path in ("/", "/listings", "/login"):
        page = client.get(path).get_data(as_text=True)
        assert 'href="/portal/sunny/payments"' not in page, path
        assert "/portal/sunny/logout" not in page, path
        assert '<a href="/portal/sunny/invoices">Your portal</a>' in page, path

    portal_page = client.get("/portal/sunny/invoices").get_data(as_text=True)
    assert 'href="/portal/sunny/payments"' in portal_page and "/portal/sunny/logout" in portal_page


def test_the_breeders_name_in_the_warning_is_escaped(world: PortalWorld, login_as, client):
    world.tenant.name = "<script>alert(1)</script> Kennels"
    db.session.flush()
    login_as(world.client_contact)

    page = client.get("/login").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Kennels’s portal" in page
    assert "<script>alert(1)" not in page


def test_a_portal_session_that_expires_on_a_marketplace_page_is_recorded_without_error(
    world: PortalWorld, login_as, client
):
    """Row security holds the marketplace page to no tenant; the client's own "session expired" event is still
    written (a named cross-tenant path), and the page answers as for anyone signed out."""
    from datetime import timedelta

    from sqlalchemy import select

    from models import AuditEvent, cross_tenant
    from tests.sessions import age_session

    login_as(world.client_contact)
    age_session(client, idle=timedelta(minutes=31), since_sign_in=timedelta(hours=1))

    response = client.get("/listings")

    assert response.status_code == 200 and "Your portal" not in response.get_data(as_text=True)
    with cross_tenant("test: read the client's events"):
        actions = db.session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.subject_table == "Contact", AuditEvent.subject_id == world.client_contact.id
            )
        ).all()
    assert "account.session_expired" in actions
