"""Signing in to a breeder's client portal."""

from __future__ import annotations

from datetime import timedelta

from argon2 import PasswordHasher, profiles
from sqlalchemy import select

from app.extensions import db
from models import Contact
from tests.factories import PASSWORD, ContactFactory, PartyFactory
from tests.portal.conftest import PortalWorld
from tests.sessions import age_session, session_of

SIGN_IN_FAILED = "That e-mail and password do not match an account with portal access."


def _reload(contact: Contact) -> Contact:
    db.session.expire_all()
    return db.session.scalars(select(Contact).where(Contact.id == contact.id)).one()


def test_client_signs_in_and_lands_on_their_invoices(world: PortalWorld, portal_login, client):
    response = portal_login("sunny", "client@example.test")

    assert response.status_code == 302
    assert response.headers["Location"] == "/portal/sunny/invoices"
    assert client.get("/portal/sunny/invoices").status_code == 200


def test_sign_in_ignores_the_case_of_the_email(world: PortalWorld, portal_login):
    response = portal_login("sunny", "  CLIENT@Example.TEST ")

    assert response.status_code == 302


def test_sign_in_records_the_last_login(world: PortalWorld, portal_login):
    assert world.client_contact.portal_last_login is None

    portal_login("sunny", "client@example.test")

    assert _reload(world.client_contact).portal_last_login is not None


def test_sign_in_rehashes_a_password_hashed_with_outdated_parameters(world: PortalWorld, portal_login):
    outdated = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1, hash_len=16, salt_len=8)
    world.client_contact.portal_password_hash = outdated.hash(PASSWORD)
    db.session.flush()

    portal_login("sunny", "client@example.test")

    new_hash = _reload(world.client_contact).portal_password_hash
    current = PasswordHasher.from_parameters(profiles.CHEAPEST)
    assert current.verify(new_hash, PASSWORD)
    assert not current.check_needs_rehash(new_hash)


def test_wrong_password_unknown_email_and_disabled_portal_get_the_same_answer(
    world: PortalWorld, portal_login
):
    disabled = ContactFactory(party=PartyFactory(tenant=world.tenant, email="disabled@example.test"))
    disabled.portal_enabled = False
    db.session.flush()

    answers = [
        portal_login("sunny", "client@example.test", "wrong-password-123"),
        portal_login("sunny", "nobody@example.test"),
        portal_login("sunny", "disabled@example.test"),
    ]

    assert [answer.status_code for answer in answers] == [422, 422, 422]
    for answer in answers:
        assert SIGN_IN_FAILED in answer.get_data(as_text=True)


def test_deleted_contact_cannot_sign_in(world: PortalWorld, portal_login):
    world.client_contact.soft_delete()
    db.session.flush()

    response = portal_login("sunny", "client@example.test")

    assert response.status_code == 422
    assert SIGN_IN_FAILED in response.get_data(as_text=True)


def test_contact_cannot_sign_in_at_another_breeders_portal(world: PortalWorld, portal_login):
    world.other_tenant_contact.portal_password_hash = None
    db.session.flush()

    response = portal_login("river", "client@example.test")

    assert response.status_code == 422


def test_signing_in_starts_a_fresh_session(world: PortalWorld, portal_login, client):
    with client.session_transaction() as before:
        before["planted_by_attacker"] = "yes"

    portal_login("sunny", "client@example.test")

    with client.session_transaction() as after:
        assert "planted_by_attacker" not in after
        assert after["_user_id"].startswith("contact:")
    assert session_of(client).contact_id == world.client_contact.id


def test_session_cookie_is_httponly_and_samesite_lax(world: PortalWorld, portal_login):
    response = portal_login("sunny", "client@example.test")

    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_sign_in_follows_a_next_path_inside_the_portal(world: PortalWorld, portal_login):
    response = portal_login("sunny", "client@example.test", next="/portal/sunny/payments")

    assert response.headers["Location"] == "/portal/sunny/payments"


def test_sign_in_ignores_a_next_that_leaves_the_site(world: PortalWorld, portal_login):
    for unsafe in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "/portal/river/invoices"):
        response = portal_login("sunny", "client@example.test", next=unsafe)
        assert response.headers["Location"] == "/portal/sunny/invoices", unsafe


def test_login_page_drops_an_unsafe_next_from_the_form(world: PortalWorld, client):
    page = client.get("/portal/sunny/login?next=https://evil.example/").get_data(as_text=True)

    assert "evil.example" not in page


def test_sign_out_is_a_post_and_ends_the_session(world: PortalWorld, portal_login, client, csrf):
    portal_login("sunny", "client@example.test")

    assert client.get("/portal/sunny/logout").status_code == 405
    response = client.post("/portal/sunny/logout", data={"csrf_token": csrf("/portal/sunny/invoices")})

    assert response.status_code == 302
    assert response.headers["Location"] == "/portal/sunny/login"
    assert client.get("/portal/sunny/invoices").status_code == 302


def test_sign_out_without_csrf_token_is_refused(world: PortalWorld, portal_login, client):
    portal_login("sunny", "client@example.test")

    response = client.post("/portal/sunny/logout")

    assert response.status_code == 400
    assert client.get("/portal/sunny/invoices").status_code == 200


def test_sign_in_without_csrf_token_is_refused(world: PortalWorld, client):
    response = client.post("/portal/sunny/login", data={"email": "client@example.test", "password": PASSWORD})

    assert response.status_code == 400
    assert "expired or was not sent from this site" in response.get_data(as_text=True)


def test_over_long_fields_get_a_message_not_an_error(world: PortalWorld, portal_login):
    response = portal_login("sunny", "a" * 300 + "@example.test", "p" * 500)

    assert response.status_code == 422
    assert "Use at most 254 characters." in response.get_data(as_text=True)
    assert "Use at most 128 characters." in response.get_data(as_text=True)


def test_empty_form_names_the_missing_fields(world: PortalWorld, portal_login):
    response = portal_login("sunny", "", "")

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter your e-mail address." in page
    assert "Enter your password." in page


def test_signed_in_client_visiting_login_goes_to_invoices(world: PortalWorld, login_as, client):
    login_as(world.client_contact)

    response = client.get("/portal/sunny/login")

    assert response.headers["Location"] == "/portal/sunny/invoices"


def test_session_ends_after_thirty_idle_minutes(world: PortalWorld, login_as, client):
    login_as(world.client_contact)
    age_session(client, idle=timedelta(minutes=31), since_sign_in=timedelta(hours=1))

    response = client.get("/portal/sunny/invoices")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/portal/sunny/login")


def test_session_stays_alive_while_the_client_is_active(world: PortalWorld, login_as, client):
    login_as(world.client_contact)
    age_session(client, idle=timedelta(minutes=29), since_sign_in=timedelta(hours=11))

    assert client.get("/portal/sunny/invoices").status_code == 200


def test_session_ends_twelve_hours_after_sign_in_even_when_active(world: PortalWorld, login_as, client):
    login_as(world.client_contact)
    age_session(client, idle=timedelta(minutes=1), since_sign_in=timedelta(hours=12, minutes=1))

    response = client.get("/portal/sunny/invoices")

    assert response.status_code == 302
    with client.session_transaction() as state:
        assert "_user_id" not in state
