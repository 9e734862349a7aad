"""TOTP two-factor sign-in, optional for each portal contact and marketplace user: enrolment with a QR code drawn
on the server and ten recovery codes stored hashed; sign-in asks for a code; no replay; throttled wrong codes;
turning it off needs the password and a code; every change is in the account's security events."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pyotp
from sqlalchemy import select

from app.account_security.routes import FAILED_CODES_PER_ACCOUNT
from app.extensions import db
from models import AuditEvent, TwoFactorCredential, TwoFactorRecoveryCode
from tests.account_security.conftest import SECRET, Side, code_at, enrol, post_form, sign_in_with_password
from tests.factories import PASSWORD

SECRET_RE = re.compile(r"data-totp-secret>([A-Z2-7]+)<")
CODE_LIMIT = int(FAILED_CODES_PER_ACCOUNT.split()[0])


def _signed_in(client, side: Side) -> bool:
    return client.get(side.url("/account/security")).status_code == 200


def _actions(side: Side) -> list[str]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.subject_id == side.account.id).order_by(AuditEvent.id)
        )
    )


def _start_enrolment(client, side: Side) -> str:
    """Press "Set up two-factor sign-in"; the secret as the setup page shows it."""
    response = post_form(
        client, side.url("/account/security"), {}, action=side.url("/account/two-factor/start")
    )
    assert response.status_code == 302
    page = client.get(side.url("/account/two-factor/setup")).get_data(as_text=True)
    return SECRET_RE.search(page).group(1)


def _enter_code(client, side: Side, code: str):
    return post_form(client, side.url("/login/two-factor"), {"code": code})


def test_enrolment_shows_a_server_drawn_qr_code_and_turns_on_only_with_a_right_code(
    side: Side, login_as, client
):
    login_as(side.account)
    secret = _start_enrolment(client, side)
    page = client.get(side.url("/account/two-factor/setup")).get_data(as_text=True)

    assert "<svg" in page and "<img" not in page and "http" not in page.split("<svg", 1)[1].split("</svg>")[0]
    wrong = post_form(client, side.url("/account/two-factor/setup"), {"code": "000000"})
    assert wrong.status_code == 422 and "That code is not right" in wrong.get_data(as_text=True)
    assert 'data-two-factor="off"' in client.get(side.url("/account/security")).get_data(as_text=True)

    right = post_form(client, side.url("/account/two-factor/setup"), {"code": pyotp.TOTP(secret).now()})

    assert right.status_code == 200
    codes = re.findall(r"<li><code>([A-Z0-9-]{19})</code></li>", right.get_data(as_text=True))
    assert len(set(codes)) == 10
    assert 'data-two-factor="on"' in client.get(side.url("/account/security")).get_data(as_text=True)
    assert "account.two_factor_enabled" in _actions(side)
    stored = set(db.session.scalars(select(TwoFactorRecoveryCode.code_hash)))
    assert stored == {hashlib.sha256(code.replace("-", "").encode()).hexdigest() for code in codes}


def test_starting_enrolment_is_a_post_with_csrf(side: Side, login_as, client):
    login_as(side.account)

    assert client.get(side.url("/account/two-factor/start")).status_code == 405
    assert client.post(side.url("/account/two-factor/start")).status_code == 400
    assert db.session.scalars(select(TwoFactorCredential)).first() is None


def test_sign_in_asks_for_the_code_and_is_not_signed_in_until_then(side: Side, client):
    enrol(side.account)

    response = sign_in_with_password(client, side)

    assert response.status_code == 302 and response.headers["Location"].endswith("/login/two-factor")
    assert not _signed_in(client, side)
    with client.session_transaction() as state:
        assert "_user_id" not in state
    signed_in = _enter_code(client, side, code_at())
    assert signed_in.status_code == 302
    assert _signed_in(client, side)
    assert _actions(side)[-1] == "account.signed_in"


def test_a_wrong_code_is_refused_and_recorded(side: Side, client):
    enrol(side.account)
    sign_in_with_password(client, side)

    response = _enter_code(client, side, "123456" if code_at() != "123456" else "654321")

    assert response.status_code == 422
    assert "That code is not right" in response.get_data(as_text=True)
    assert not _signed_in(client, side)
    assert "account.second_factor_failed" in _actions(side)


def test_wrong_codes_are_throttled_per_account(side: Side, client, new_client):
    enrol(side.account)
    statuses = []
    for _ in range(CODE_LIMIT + 1):
        browser = new_client()  # a new address or browser does not give a new allowance: the account does
        sign_in_with_password(browser, side)
        statuses.append(
            _enter_code(browser, side, "000000" if code_at() != "000000" else "111111").status_code
        )

    assert statuses == [422] * CODE_LIMIT + [429]


def test_a_code_cannot_be_replayed_within_its_window(side: Side, client, new_client):
    enrol(side.account)
    code = code_at()
    sign_in_with_password(client, side)
    assert _enter_code(client, side, code).status_code == 302

    replay = new_client()
    sign_in_with_password(replay, side)
    assert _enter_code(replay, side, code).status_code == 422
    assert _enter_code(replay, side, code_at(-1)).status_code == 422  # nor an older one
    assert not _signed_in(replay, side)
    assert _enter_code(replay, side, code_at(+1)).status_code == 302  # the next step's code works


def test_a_recovery_code_works_once(side: Side, login_as, client, new_client):
    login_as(side.account)
    secret = _start_enrolment(client, side)
    page = post_form(client, side.url("/account/two-factor/setup"), {"code": pyotp.TOTP(secret).now()})
    recovery_code = re.findall(r"<li><code>([A-Z0-9-]{19})</code></li>", page.get_data(as_text=True))[0]

    first = new_client()
    sign_in_with_password(first, side)
    assert _enter_code(first, side, recovery_code.lower()).status_code == 302
    assert _signed_in(first, side)
    assert "account.recovery_code_used" in _actions(side)

    second = new_client()
    sign_in_with_password(second, side)
    assert _enter_code(second, side, recovery_code).status_code == 422
    assert not _signed_in(second, side)
    assert "9 unused recovery codes" in first.get(side.url("/account/security")).get_data(as_text=True)


def test_turning_it_off_needs_the_password_and_a_code(side: Side, login_as, client, new_client):
    enrol(side.account)
    login_as(side.account)
    page = side.url("/account/two-factor/disable")

    wrong_password = post_form(client, page, {"password": "not-my-password-1", "code": code_at()})
    wrong_code = post_form(
        client, page, {"password": PASSWORD, "code": "000000" if code_at() != "000000" else "1"}
    )
    no_code = post_form(client, page, {"password": PASSWORD, "code": ""})

    assert [wrong_password.status_code, wrong_code.status_code, no_code.status_code] == [422, 422, 422]
    assert "That password and code do not match" in wrong_password.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalars(select(TwoFactorCredential)).one().enabled_at is not None

    response = post_form(client, page, {"password": PASSWORD, "code": code_at()})

    assert response.status_code == 302
    assert db.session.scalars(select(TwoFactorCredential)).first() is None
    assert "account.two_factor_disabled" in _actions(side)
    assert not sign_in_with_password(new_client(), side).headers["Location"].endswith("/login/two-factor")


def test_someone_elses_two_factor_is_not_touched(side: Side, login_as, client):
    strangers = enrol(side.stranger)
    login_as(side.account)

    page = client.get(side.url("/account/security")).get_data(as_text=True)
    response = post_form(
        client,
        side.url("/account/security"),
        {"password": PASSWORD, "code": code_at()},
        action=side.url("/account/two-factor/disable"),
    )

    assert 'data-two-factor="off"' in page
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/security")
    db.session.expire_all()
    assert db.session.get(TwoFactorCredential, strangers.id).enabled_at is not None


def test_a_pending_sign_in_expires_after_five_minutes(side: Side, client):
    enrol(side.account)
    sign_in_with_password(client, side)
    with client.session_transaction() as state:
        pending = state["second_factor"]
        pending["until"] -= timedelta(minutes=6).total_seconds()
        state["second_factor"] = pending

    response = post_form(
        client, side.url("/login"), {"code": code_at()}, action=side.url("/login/two-factor")
    )

    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert not _signed_in(client, side)


def test_a_password_reset_link_does_not_skip_the_code(client):
    from app.tokens import MARKETPLACE_RESET, make_token
    from tests.account_security.conftest import marketplace_side

    side = marketplace_side()
    enrol(side.account)
    token = make_token(MARKETPLACE_RESET, side.account.id, bound_to=side.account.password_hash)

    response = post_form(client, f"/reset-password/{token}", {"password": "a fresh passphrase 7"})

    assert response.headers["Location"].endswith("/login/two-factor")
    assert not _signed_in(client, side)


def test_the_security_page_shows_only_this_accounts_events(side: Side, client, new_client):
    sign_in_with_password(new_client(), side, email=str(side.stranger.email), password="stranger-typo-1")
    sign_in_with_password(client, side, password="my-own-typo-1")
    sign_in_with_password(client, side)

    page = client.get(side.url("/account/security")).get_data(as_text=True)

    events = re.findall(r'data-event="([a-z_.]+)"', page)
    assert events == ["account.signed_in", "account.sign_in_failed"]
    assert "Failed sign-in (wrong password)" in page


def test_the_secret_is_never_in_the_page_after_enrolment(side: Side, login_as, client):
    enrol(side.account)
    login_as(side.account)

    assert SECRET not in client.get(side.url("/account/security")).get_data(as_text=True)
    response = client.get(side.url("/account/two-factor/setup"))
    assert response.status_code == 302  # already on: no setup page that would show the secret again
