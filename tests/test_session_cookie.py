"""The signed session cookie is re-sent (its expiry moved along) once it is a minute old, not on every request;
a session that changed is sent at once; a revoked session still ends on the next request. No cookie, or one that is
forged or expired, opens an empty session; an app without a secret key has Flask's null session."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from flask import Flask, request, session
from flask.sessions import SecureCookieSession
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner

from app import session_cookie
from app.extensions import db
from app.sessions import SessionEndReason, end
from tests.factories import MarketplaceUserFactory
from tests.sessions import session_of

PAGE = "/messages"


def _sets_the_session_cookie(response) -> bool:
    return any(header.startswith("session=") for header in response.headers.getlist("Set-Cookie"))


@pytest.fixture
def signed_in(login_as, client: FlaskClient) -> FlaskClient:
    login_as(MarketplaceUserFactory())
    first = client.get(PAGE)  # the first page puts the CSRF token in the session: a change, sent at once
    assert _sets_the_session_cookie(first)
    return client


def test_a_fresh_unchanged_cookie_is_not_sent_again(signed_in: FlaskClient):
    response = signed_in.get(PAGE)

    assert response.status_code == 200
    assert not _sets_the_session_cookie(response)


def test_a_cookie_a_minute_old_is_sent_again_with_a_new_expiry(signed_in: FlaskClient, monkeypatch):
    monkeypatch.setattr(session_cookie, "REFRESH_EVERY", timedelta(0))

    response = signed_in.get(PAGE)

    assert _sets_the_session_cookie(response)
    [cookie] = [header for header in response.headers.getlist("Set-Cookie") if header.startswith("session=")]
    assert "Expires=" in cookie and "HttpOnly" in cookie


def test_a_changed_session_is_sent_at_once(signed_in: FlaskClient):
    with signed_in.session_transaction() as state:
        state["_flashes"] = [("info", "Hello")]
    response = signed_in.get(PAGE)  # the page shows the message, which takes it out of the session

    assert _sets_the_session_cookie(response)


def test_a_revoked_session_ends_on_the_next_request(signed_in: FlaskClient):
    assert signed_in.get(PAGE).status_code == 200
    row = session_of(signed_in)
    end(row, SessionEndReason.SIGNED_OUT)  # "sign out" on another device
    db.session.flush()

    response = signed_in.get(PAGE)

    assert response.status_code == 302 and "/login" in response.location


# ---- opening the cookie ------------------------------------------------------------------------------------------


def _opened(app: Flask, cookie: str | None):
    headers = {"Cookie": f"session={cookie}"} if cookie is not None else {}
    with app.test_request_context("/", headers=headers):
        return app.session_interface.open_session(app, request)


def _tampered(value: str) -> str:
    head, signature = value.rsplit(".", 1)
    # The first character of the signature carries six whole bits of it: changing it changes the signature.
    return f"{head}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"


def test_a_request_without_a_cookie_opens_an_empty_session_that_sets_no_cookie(
    app: Flask, client: FlaskClient
):
    opened = _opened(app, None)
    assert isinstance(opened, SecureCookieSession)
    assert dict(opened) == {} and not opened.modified and opened.signed_at is None

    response = client.get("/")
    assert response.status_code == 200
    assert not _sets_the_session_cookie(response)


def test_a_cookie_that_was_signed_opens_its_session(signed_in: FlaskClient, app: Flask):
    opened = _opened(app, signed_in.get_cookie("session").value)
    assert opened["_user_id"] and opened.signed_at is not None


@pytest.mark.parametrize("forgery", ["tampered", "another key", "expired", "garbage"])
def test_a_forged_or_expired_cookie_opens_an_empty_session_and_signs_nobody_in(
    signed_in: FlaskClient, app: Flask, monkeypatch, forgery
):
    genuine = signed_in.get_cookie("session").value
    if forgery == "tampered":
        cookie = _tampered(genuine)
    elif forgery == "another key":
        other = Flask(__name__)
        other.secret_key = "not-this-apps-key"
        cookie = other.session_interface.get_signing_serializer(other).dumps(dict(_opened(app, genuine)))
    elif forgery == "expired":
        signer = app.session_interface.get_signing_serializer(app)
        lifetime = int(app.permanent_session_lifetime.total_seconds())
        with monkeypatch.context() as past:
            past.setattr(TimestampSigner, "get_timestamp", lambda _self: int(time.time()) - lifetime - 60)
            cookie = signer.dumps(dict(_opened(app, genuine)))
    else:
        cookie = "not.a.cookie"

    opened = _opened(app, cookie)
    assert isinstance(opened, SecureCookieSession)
    assert dict(opened) == {} and opened.signed_at is None

    signed_in.set_cookie("session", cookie)
    public = signed_in.get("/")
    assert public.headers["Cache-Control"] == "public, max-age=60"  # a signed-out visitor's page
    assert not _sets_the_session_cookie(public)
    private = signed_in.get(PAGE)
    assert private.status_code == 302 and "/login" in private.location


def test_without_a_secret_key_the_session_is_flasks_null_session(client: FlaskClient):
    bare = Flask(__name__)
    session_cookie.init_app(bare)
    bare.testing = True

    @bare.get("/read")
    def read() -> str:
        return f"{type(session._get_current_object()).__name__} {dict(session)}"

    @bare.get("/write")
    def write() -> str:
        session["x"] = 1
        return "written"

    client = bare.test_client()
    for cookie in (None, "anything.at.all"):
        if cookie is not None:
            client.set_cookie("session", cookie)
        response = client.get("/read")
        assert response.get_data(as_text=True) == "NullSession {}"
        assert not _sets_the_session_cookie(response)
    with pytest.raises(RuntimeError, match="no secret key was set"):
        client.get("/write")
