"""Two-factor codes under 25 requests at once, on a scratch database where every request commits for real: the
failed-code limit holds (claimed before the check), and one right code signs in once (no replay in a race)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.account_security.routes import FAILED_CODES_PER_ACCOUNT
from app.extensions import db, limiter
from models import AuditEvent, SignInSession
from tests.account_security.conftest import code_at, enrol
from tests.conftest import csrf_token_from
from tests.dbserver import scratch_app
from tests.factories import PASSWORD, MarketplaceUserFactory
from tests.test_race_proof_limits import _all_at_once

PARALLEL = 25
CODE_LIMIT = int(FAILED_CODES_PER_ACCOUNT.split()[0])


@pytest.fixture
def race_app(pg_server_url: str) -> Iterator[Flask]:
    with scratch_app(pg_server_url, f"breeder_two_factor_race_{os.getpid()}") as app:
        with app.app_context():
            limiter.reset()
            user = MarketplaceUserFactory(email="owner@example.test")
            db.session.flush()
            enrol(user)
            db.session.commit()
            db.session.remove()
        yield app


def _browsers_waiting_for_a_code(app: Flask) -> tuple[list[FlaskClient], str]:
    """PARALLEL browsers holding one pending sign-in (the password was right; the code is still to come)."""
    first = app.test_client()
    token = csrf_token_from(first.get("/login").get_data(as_text=True))
    response = first.post(
        "/login", data={"csrf_token": token, "email": "owner@example.test", "password": PASSWORD}
    )
    assert response.headers["Location"].endswith("/login/two-factor")
    cookie = first.get_cookie(app.config["SESSION_COOKIE_NAME"])
    browsers = []
    for _ in range(PARALLEL):
        browser = app.test_client()
        browser.set_cookie(cookie.key, cookie.value)
        browsers.append(browser)
    return browsers, csrf_token_from(first.get("/login/two-factor").get_data(as_text=True))


def _post_code(browser: FlaskClient, token: str, code: str) -> int:
    return browser.post("/login/two-factor", data={"csrf_token": token, "code": code}).status_code


def test_25_parallel_wrong_codes_process_at_most_the_limit(race_app: Flask):
    browsers, token = _browsers_waiting_for_a_code(race_app)
    wrong = "000000" if code_at() != "000000" else "111111"

    statuses = _all_at_once([lambda b=browser: _post_code(b, token, wrong) for browser in browsers])

    assert statuses.count(422) == CODE_LIMIT
    assert statuses.count(429) == PARALLEL - CODE_LIMIT
    with race_app.app_context():
        failures = select(func.count()).where(AuditEvent.action == "account.second_factor_failed")
        assert db.session.scalar(failures) == CODE_LIMIT
        db.session.remove()


def test_one_right_code_sent_25_times_at_once_signs_in_once(race_app: Flask):
    browsers, token = _browsers_waiting_for_a_code(race_app)
    code = code_at()

    statuses = _all_at_once([lambda b=browser: _post_code(b, token, code) for browser in browsers])

    assert statuses.count(302) == 1
    with race_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SignInSession)) == 1
        db.session.remove()
