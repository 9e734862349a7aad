"""The signed session cookie is re-sent (its expiry moved along) once it is a minute old, not on every request;
a session that changed is sent at once; a revoked session still ends on the next request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient

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
