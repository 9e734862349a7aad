"""Invites, reset links, choosing and changing a password."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.passwords import verify_password
from app.tokens import PORTAL_INVITE as INVITE
from app.tokens import PORTAL_RESET as RESET
from models import Contact
from portal.accounts import routes
from portal.accounts.invites import set_password_token
from tests.conftest import FreshContextClient, csrf_token_from
from tests.factories import PASSWORD, ContactFactory, PartyFactory
from tests.portal.conftest import PortalWorld

NEW_PASSWORD = "lantern-orchard-quietly-42"
RESET_SENT = "If that address has portal access, we have sent it a link to choose a new password."
LINK_RE = re.compile(r"http://localhost(/portal/sunny/set-password/[\w.-]+)")


def _reload(contact: Contact) -> Contact:
    db.session.expire_all()
    return db.session.scalars(select(Contact).where(Contact.id == contact.id)).one()


def _token(app, purpose: str, contact: Contact) -> str:
    with app.test_request_context():
        return set_password_token(purpose, contact)


def _choose(client: FlaskClient, csrf, path: str, password: str = NEW_PASSWORD, confirm: str | None = None):
    return client.post(
        path, data={"password": password, "confirm": confirm or password, "csrf_token": csrf()}
    )


@pytest.fixture
def outbox(app):
    return app.extensions.setdefault("outbox", [])


def test_forgot_password_mails_a_link_that_sets_a_new_password(world: PortalWorld, client, csrf, outbox):
    response = client.post(
        "/portal/sunny/forgot-password", data={"email": "Client@Example.test", "csrf_token": csrf()}
    )
    assert response.status_code == 302
    assert RESET_SENT in client.get(response.headers["Location"]).get_data(as_text=True)

    [message] = outbox
    assert message["To"] == "client@example.test"
    path = LINK_RE.search(message.get_content()).group(1)
    assert "Choose your password" in client.get(path).get_data(as_text=True)

    chosen = _choose(client, csrf, path)

    assert chosen.status_code == 302
    assert chosen.headers["Location"] == "/portal/sunny/invoices"
    assert verify_password(_reload(world.client_contact).portal_password_hash, NEW_PASSWORD)
    assert client.get("/portal/sunny/invoices").status_code == 200


def test_forgot_password_answers_the_same_for_unknown_and_disabled_accounts(
    world: PortalWorld, client, csrf, outbox
):
    disabled = ContactFactory(party=PartyFactory(tenant=world.tenant, email="off@example.test"))
    disabled.portal_enabled = False
    db.session.flush()

    answers = [
        client.post("/portal/sunny/forgot-password", data={"email": email, "csrf_token": csrf()})
        for email in ("client@example.test", "nobody@example.test", "off@example.test")
    ]

    assert {(answer.status_code, answer.headers["Location"]) for answer in answers} == {
        (302, "/portal/sunny/forgot-password")
    }
    assert [message["To"] for message in outbox] == ["client@example.test"]


def test_forgot_password_at_another_breeder_sends_that_breeders_contact_nothing_of_ours(
    world: PortalWorld, client, csrf, outbox
):
    world.other_tenant_contact.portal_enabled = False
    db.session.flush()

    client.post("/portal/river/forgot-password", data={"email": "client@example.test", "csrf_token": csrf()})

    assert outbox == []


def test_reset_link_works_only_once(world: PortalWorld, app, client, csrf):
    path = f"/portal/sunny/set-password/{_token(app, RESET, world.client_contact)}"

    assert _choose(client, csrf, path).status_code == 302
    again = client.get(path)

    assert again.status_code == 400
    assert "This link has already been used." in again.get_data(as_text=True)
    assert _choose(client, csrf, path, "another-fine-passphrase-7").status_code == 400


def test_invite_link_works_once_for_a_contact_without_a_password(world: PortalWorld, app, client, csrf):
    world.client_contact.portal_password_hash = None
    db.session.flush()
    path = f"/portal/sunny/set-password/{_token(app, INVITE, world.client_contact)}"

    assert _choose(client, csrf, path).status_code == 302
    assert client.get(path).status_code == 400


def test_reset_link_expires_after_an_hour(world: PortalWorld, app, client, monkeypatch):
    token = _token(app, RESET, world.client_contact)
    issued = time.time()
    monkeypatch.setattr(time, "time", lambda: issued + 3601)

    response = client.get(f"/portal/sunny/set-password/{token}")

    assert response.status_code == 400
    assert "This link has expired." in response.get_data(as_text=True)


def test_invite_link_lasts_seven_days_and_no_longer(world: PortalWorld, app, client, monkeypatch):
    token = _token(app, INVITE, world.client_contact)
    issued = time.time()

    monkeypatch.setattr(time, "time", lambda: issued + 7 * 86400 - 60)
    assert client.get(f"/portal/sunny/set-password/{token}").status_code == 200
    monkeypatch.setattr(time, "time", lambda: issued + 7 * 86400 + 60)
    assert client.get(f"/portal/sunny/set-password/{token}").status_code == 400


# A NUL ("%00") is refused before any view runs: 400 too, covered in tests/test_security.py.
@pytest.mark.parametrize("token", ["nonsense", "eyJpZCI6MX0.aaaa.bbbb", "x" * 5000, "%FF"])
def test_tampered_link_gets_a_clear_answer(world: PortalWorld, client, token):
    response = client.get(f"/portal/sunny/set-password/{token}")

    assert response.status_code == 400
    assert "This link is not valid." in response.get_data(as_text=True)


def test_link_for_one_breeders_contact_does_nothing_at_another_breeder(world: PortalWorld, app, client):
    token = _token(app, RESET, world.other_tenant_contact)

    assert client.get(f"/portal/sunny/set-password/{token}").status_code == 400


def test_new_password_must_follow_the_rules(world: PortalWorld, app, client, csrf):
    path = f"/portal/sunny/set-password/{_token(app, RESET, world.client_contact)}"

    too_short = _choose(client, csrf, path, "short")
    guessable = _choose(client, csrf, path, "password1234")
    too_long = _choose(client, csrf, path, "x" * 129)
    mismatch = _choose(client, csrf, path, NEW_PASSWORD, "something-else-entirely")

    assert "Use at least 10 characters." in too_short.get_data(as_text=True)
    assert guessable.status_code == 422
    assert "Use at most 128 characters." in too_long.get_data(as_text=True)
    assert "The two passwords do not match." in mismatch.get_data(as_text=True)
    assert {r.status_code for r in (too_short, guessable, too_long, mismatch)} == {422}
    assert verify_password(_reload(world.client_contact).portal_password_hash, PASSWORD)


def test_password_of_128_characters_is_accepted(world: PortalWorld, app, client, csrf):
    path = f"/portal/sunny/set-password/{_token(app, RESET, world.client_contact)}"
    long_password = ("quiet-lantern-orchard-" * 6)[:128]

    assert _choose(client, csrf, path, long_password).status_code == 302
    assert verify_password(_reload(world.client_contact).portal_password_hash, long_password)


def _change(client, csrf, current: str, new: str = NEW_PASSWORD, confirm: str | None = None):
    return client.post(
        "/portal/sunny/account/password",
        data={"current_password": current, "password": new, "confirm": confirm or new, "csrf_token": csrf()},
    )


def test_change_password_needs_the_current_password(world: PortalWorld, login_as, client, csrf):
    login_as(world.client_contact)

    response = _change(client, csrf, "not-my-password-0")

    assert response.status_code == 422
    assert "That is not your current password." in response.get_data(as_text=True)
    assert verify_password(_reload(world.client_contact).portal_password_hash, PASSWORD)


def test_changing_the_password_ends_other_sessions_but_keeps_this_one(
    world: PortalWorld, app, login_as, client, csrf, portal_login
):
    other_device = app.test_client()
    assert isinstance(client, FreshContextClient)
    other_device.__class__ = FreshContextClient
    token = csrf_token_from(other_device.get("/portal/sunny/login").get_data(as_text=True))
    other_device.post(
        "/portal/sunny/login",
        data={"email": "client@example.test", "password": PASSWORD, "csrf_token": token},
    )
    portal_login("sunny", "client@example.test")
    assert other_device.get("/portal/sunny/invoices").status_code == 200

    response = _change(client, csrf, PASSWORD)

    assert response.status_code == 302
    assert client.get("/portal/sunny/invoices").status_code == 200
    assert other_device.get("/portal/sunny/invoices").status_code == 302
    assert verify_password(_reload(world.client_contact).portal_password_hash, NEW_PASSWORD)


def test_change_password_refuses_a_weak_new_password(world: PortalWorld, login_as, client, csrf):
    login_as(world.client_contact)

    response = _change(client, csrf, PASSWORD, "sunnykennels")

    assert response.status_code == 422
    assert verify_password(_reload(world.client_contact).portal_password_hash, PASSWORD)


def test_password_change_kills_an_outstanding_reset_link(world: PortalWorld, app, login_as, client, csrf):
    token = _token(app, RESET, world.client_contact)
    login_as(world.client_contact)
    _change(client, csrf, PASSWORD)

    assert client.get(f"/portal/sunny/set-password/{token}").status_code == 400


def test_invite_command_enables_the_portal_and_prints_a_working_link(world: PortalWorld, app, client, csrf):
    world.client_contact.portal_enabled = False
    world.client_contact.portal_password_hash = None
    db.session.flush()

    result = app.test_cli_runner().invoke(
        args=["portal", "invite", "--tenant", "sunny", "--email", "CLIENT@example.test"]
    )

    assert result.exit_code == 0, result.output
    link = re.search(r"http://127\.0\.0\.1:5000(/portal/sunny/set-password/\S+)", result.output)
    assert link, result.output
    assert _reload(world.client_contact).portal_enabled is True
    assert _choose(client, csrf, link.group(1)).status_code == 302


@pytest.mark.parametrize(
    ("tenant", "email", "message"),
    [("nope", "client@example.test", "No tenant"), ("sunny", "nobody@example.test", "has no contact")],
)
def test_invite_command_explains_what_is_wrong(world: PortalWorld, app, tenant, email, message):
    result = app.test_cli_runner().invoke(args=["portal", "invite", "--tenant", tenant, "--email", email])

    assert result.exit_code != 0
    assert message in result.output


def test_invite_command_refuses_an_email_shared_by_two_contacts(world: PortalWorld, app):
    ContactFactory(party=PartyFactory(tenant=world.tenant, email="CLIENT@example.test"))
    db.session.flush()

    result = app.test_cli_runner().invoke(
        args=["portal", "invite", "--tenant", "sunny", "--email", "client@example.test"]
    )

    assert result.exit_code != 0
    assert "2 contacts" in result.output


def test_the_reset_mail_states_how_long_its_link_lasts(world: PortalWorld, client, csrf, outbox, monkeypatch):
    client.post("/portal/sunny/forgot-password", data={"email": "client@example.test", "csrf_token": csrf()})
    monkeypatch.setattr(routes, "PORTAL_RESET", replace(RESET, max_age=timedelta(minutes=30)))
    client.post("/portal/sunny/forgot-password", data={"email": "client@example.test", "csrf_token": csrf()})

    default, shortened = (message.get_content() for message in outbox)
    assert "(the link works once, for 1 hour)" in default
    assert "(the link works once, for 30 minutes)" in shortened
    assert outbox[0]["Subject"] == "Choose a new password for the Sunny Kennels client portal"
    assert LINK_RE.search(shortened)
