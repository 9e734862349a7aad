"""Marketplace accounts: register, verify, sign in and out, reset, throttling, no enumeration."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.tokens import MARKETPLACE_RESET, MARKETPLACE_VERIFY_EMAIL
from marketplace.accounts import routes
from models import MarketplaceUser
from tests.conftest import CSRF_RE
from tests.factories import PASSWORD, MarketplaceUserFactory

NEW_PASSWORD = "violet-lantern-harbor-42"
LINK_RE = re.compile(r"http://localhost(/\S+)")


def _outbox(app) -> list:
    return app.extensions.setdefault("outbox", [])


def _link_in_last_mail(app) -> str:
    body = _outbox(app)[-1].get_content()
    match = LINK_RE.search(body)
    assert match, body
    return match.group(1)


def _register(client, csrf, **overrides):
    data = {
        "csrf_token": csrf(),
        "email": "  New.Seller@Example.COM ",
        "password": NEW_PASSWORD,
        "first_name": "Nora",
        "last_name": "Kennel",
        "user_type": "service_provider",
    }
    data.update(overrides)
    return client.post("/register", data=data)


def _login(client, csrf, email, password=PASSWORD):
    return client.post("/login", data={"csrf_token": csrf(), "email": email, "password": password})


def test_register_creates_an_unverified_account_with_a_lower_case_email_and_mails_a_link(app, client, csrf):
    response = _register(client, csrf)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/register/check-email")
    user = db.session.scalar(select(MarketplaceUser).where(MarketplaceUser.email == "new.seller@example.com"))
    assert user is not None and user.email_verified is False and user.user_type == "service_provider"
    assert user.password_hash.startswith("$argon2id$")
    assert "/verify-email/" in _link_in_last_mail(app)


def test_register_form_shows_messages_beside_fields_and_saves_nothing(client, csrf):
    response = _register(
        client, csrf, email="not-an-email", password="short", first_name="", user_type="admin"
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="email-error"' in html and 'id="password-error"' in html
    assert 'id="first_name-error"' in html and 'id="user_type-error"' in html
    assert db.session.scalar(select(MarketplaceUser).where(MarketplaceUser.first_name == "Nora")) is None


def test_register_rejects_a_weak_password(client, csrf):
    response = _register(client, csrf, password="password123")
    assert response.status_code == 422
    assert 'id="password-error"' in response.get_data(as_text=True)


def test_registering_an_existing_email_looks_the_same_and_mails_the_owner(app, client, csrf):
    existing = MarketplaceUserFactory(email="taken@example.com")
    response = _register(client, csrf, email="Taken@example.com")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/register/check-email")
    assert "already" in _outbox(app)[-1]["Subject"]
    assert db.session.get(MarketplaceUser, existing.id).first_name == existing.first_name


def test_verification_link_confirms_the_address_on_post_and_signs_in(app, client, csrf):
    _register(client, csrf)
    link = _link_in_last_mail(app)
    page = client.get(link)
    assert page.status_code == 200
    user = db.session.scalar(select(MarketplaceUser).where(MarketplaceUser.email == "new.seller@example.com"))
    assert user.email_verified is False  # a GET changes nothing
    response = client.post(link, data={"csrf_token": csrf()})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.email_verified is True
    assert client.get("/dashboard/listings").status_code == 200
    assert client.post(link, data={"csrf_token": csrf()}).status_code == 400  # single use


def test_tampered_verification_link_is_refused(client):
    response = client.get("/verify-email/not-a-real-token")
    assert response.status_code == 400
    assert "not valid" in response.get_data(as_text=True)


def test_user_signs_in_and_out(client, csrf):
    user = MarketplaceUserFactory(email="bailey@example.test")
    response = _login(client, csrf, "  BAILEY@example.test")
    assert response.status_code == 302
    assert user.display_name in client.get("/listings").get_data(as_text=True)
    response = client.post("/logout", data={"csrf_token": csrf()})
    assert response.status_code == 302
    assert user.display_name not in client.get("/listings").get_data(as_text=True)


def test_sign_in_starts_a_new_session(client, csrf):
    MarketplaceUserFactory(email="fixation@example.test")
    client.get("/")
    with client.session_transaction() as session:
        session["planted"] = "by-an-attacker"
    _login(client, csrf, "fixation@example.test")
    with client.session_transaction() as session:
        assert "planted" not in session


def test_wrong_password_and_unknown_email_get_the_same_answer(client, csrf):
    MarketplaceUserFactory(email="known@example.test")
    wrong = _login(client, csrf, "known@example.test", "wrong-password-123")
    unknown = _login(client, csrf, "nobody@example.test", "wrong-password-123")
    assert wrong.status_code == unknown.status_code == 422
    message = "The e-mail or password is incorrect."
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)


@pytest.mark.parametrize("status", ["suspended", "banned"])
def test_suspended_and_banned_users_cannot_sign_in(client, csrf, status):
    MarketplaceUserFactory(email="blocked@example.test", status=status)
    response = _login(client, csrf, "blocked@example.test")
    assert response.status_code == 403
    assert "Sign in" in response.get_data(as_text=True)
    assert "blocked@example.test" not in client.get("/listings").get_data(as_text=True)


def test_a_suspended_users_existing_session_ends(client, login_as):
    user = MarketplaceUserFactory(user_type="service_provider")
    login_as(user)
    assert client.get("/dashboard/listings").status_code == 200
    user.status = "suspended"
    db.session.flush()
    assert client.get("/dashboard/listings").status_code == 302


def test_login_is_throttled_after_repeated_failures(client, csrf):
    MarketplaceUserFactory(email="target@example.test")
    token = csrf()
    codes = [
        client.post(
            "/login", data={"csrf_token": token, "email": "target@example.test", "password": "nope-nope-nope"}
        ).status_code
        for _ in range(9)
    ]
    assert codes[:8] == [422] * 8
    assert codes[8] == 429
    again = client.post(
        "/login", data={"csrf_token": token, "email": "target@example.test", "password": PASSWORD}
    )
    assert again.status_code == 429
    assert "Too many attempts" in again.get_data(as_text=True)


def test_login_requires_csrf(client):
    MarketplaceUserFactory(email="csrf@example.test")
    response = client.post("/login", data={"email": "csrf@example.test", "password": PASSWORD})
    assert response.status_code == 400


def test_logout_requires_post_with_csrf(client, login_as):
    login_as(MarketplaceUserFactory())
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400


def test_password_reset_link_sets_a_new_password_once(app, client, csrf):
    user = MarketplaceUserFactory(email="forgetful@example.test", email_verified=False)
    response = client.post("/forgot-password", data={"csrf_token": csrf(), "email": "forgetful@example.test"})
    assert response.status_code == 200
    link = _link_in_last_mail(app)
    response = client.post(link, data={"csrf_token": csrf(), "password": NEW_PASSWORD})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.email_verified is True
    client.post("/logout", data={"csrf_token": csrf()})
    assert _login(client, csrf, "forgetful@example.test", NEW_PASSWORD).status_code == 302
    assert client.get(link).status_code == 400  # the link died with the old password


def test_reset_refuses_a_weak_password(app, client, csrf):
    MarketplaceUserFactory(email="weak@example.test")
    client.post("/forgot-password", data={"csrf_token": csrf(), "email": "weak@example.test"})
    response = client.post(_link_in_last_mail(app), data={"csrf_token": csrf(), "password": "aaaaaaaaaa"})
    assert response.status_code == 422
    assert 'id="password-error"' in response.get_data(as_text=True)


def test_forgot_password_answers_the_same_for_unknown_addresses(app, client, csrf):
    MarketplaceUserFactory(email="real@example.test")
    known = client.post("/forgot-password", data={"csrf_token": csrf(), "email": "real@example.test"})
    unknown = client.post("/forgot-password", data={"csrf_token": csrf(), "email": "ghost@example.test"})
    assert known.status_code == unknown.status_code == 200
    # The CSRF token is signed with the time: two pages a second apart differ there and nowhere else.
    strip = lambda html, email: CSRF_RE.sub("", html.replace(email, ""))  # noqa: E731
    assert strip(known.get_data(as_text=True), "real@example.test") == strip(
        unknown.get_data(as_text=True), "ghost@example.test"
    )
    assert len(_outbox(app)) == 1


def test_next_parameter_cannot_redirect_off_site(client, csrf):
    MarketplaceUserFactory(email="next@example.test")
    response = client.post(
        "/login?next=//evil.example/x",
        data={"csrf_token": csrf(), "email": "next@example.test", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]


def test_signing_into_the_marketplace_signs_the_portal_out_and_says_so(client, csrf, login_as):
    from tests.factories import ContactFactory

    login_as(ContactFactory())
    MarketplaceUserFactory(email="switch@example.test")
    response = _login(client, csrf, "switch@example.test")
    follow = client.get(response.headers["Location"])
    assert "signed out of the client portal" in follow.get_data(as_text=True)


def _attempt(client, token, password, address):
    return client.post(
        "/login",
        data={"csrf_token": token, "email": "owner@example.test", "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_a_strangers_failed_attempts_do_not_lock_the_owner_out(client, csrf):
    MarketplaceUserFactory(email="owner@example.test")
    token = csrf()
    stranger = [_attempt(client, token, "nope-nope-nope", "203.0.113.66").status_code for _ in range(9)]
    assert stranger[-1] == 429  # the stranger is throttled...
    assert _attempt(client, token, PASSWORD, "198.51.100.7").status_code == 302  # ...the owner is not


def test_failed_attempts_from_many_addresses_are_capped_per_account(client, csrf):
    MarketplaceUserFactory(email="owner@example.test")
    token = csrf()
    codes = [
        _attempt(client, token, "nope-nope-nope", f"203.0.113.{n % 250}").status_code for n in range(101)
    ]
    assert codes[:100] == [422] * 100
    assert codes[100] == 429


def test_the_verification_mail_states_how_long_its_link_lasts(app, client, csrf, monkeypatch):
    # The age comes from the token kind that signs and checks the link, not from words typed beside it.
    monkeypatch.setattr(
        routes, "MARKETPLACE_VERIFY_EMAIL", replace(MARKETPLACE_VERIFY_EMAIL, max_age=timedelta(hours=2))
    )
    _register(client, csrf, first_name="Tom & Jerry")
    body = _outbox(app)[-1].get_content()
    assert "Hello Tom & Jerry Kennel," in body
    assert "(valid for 2 hours)" in body
    assert "/verify-email/" in _link_in_last_mail(app)


def test_the_verification_mail_says_three_days_by_default(app, client, csrf):
    _register(client, csrf)
    assert "(valid for 3 days)" in _outbox(app)[-1].get_content()


def test_the_already_registered_mail_links_to_sign_in_and_reset(app, client, csrf):
    MarketplaceUserFactory(email="taken@example.com")
    _register(client, csrf, email="taken@example.com")
    body = _outbox(app)[-1].get_content()
    assert "Sign in: http://localhost/login\n" in body
    assert "Forgot your password? http://localhost/forgot-password\n" in body


def test_the_reset_mail_states_how_long_its_link_lasts(app, client, csrf, monkeypatch):
    MarketplaceUserFactory(email="forgetful@example.test")
    client.post("/forgot-password", data={"csrf_token": csrf(), "email": "forgetful@example.test"})
    assert "within 1 hour to choose a new password" in _outbox(app)[-1].get_content()

    monkeypatch.setattr(
        routes, "MARKETPLACE_RESET", replace(MARKETPLACE_RESET, max_age=timedelta(minutes=20))
    )
    client.post("/forgot-password", data={"csrf_token": csrf(), "email": "forgetful@example.test"})
    assert "within 20 minutes to choose a new password" in _outbox(app)[-1].get_content()
    assert "/reset-password/" in _link_in_last_mail(app)
