"""Revocable sessions, for portal contacts and marketplace users alike: each sign-in is a server-side record, the
cookie carries only its random token, and ending the record signs out every copy of the cookie at once."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from click.testing import Result
from sqlalchemy import func, select

from app.extensions import db
from app.sessions import TOUCH_EVERY
from models import AuditEvent, SignInSession
from tests.account_security.conftest import Side, copy_cookies, post_form, sign_in_with_password
from tests.factories import PASSWORD
from tests.sessions import age_session, session_of


def _is_signed_in(client, side: Side) -> bool:
    response = client.get(side.url("/account/security"))
    assert response.status_code in (200, 302)
    return response.status_code == 200


def _sign_out(client, side: Side):
    return post_form(client, side.url("/account/security"), {}, action=side.url("/logout"))


def test_a_copied_cookie_stops_working_as_soon_as_its_session_signs_out(side: Side, client, new_client, app):
    sign_in_with_password(client, side)
    thief = new_client()
    copy_cookies(client, thief, app)
    assert _is_signed_in(thief, side)

    assert _sign_out(client, side).status_code == 302

    assert not _is_signed_in(thief, side)
    assert not _is_signed_in(client, side)


def test_the_cookie_carries_only_a_random_token_and_the_database_only_its_hash(side: Side, client):
    sign_in_with_password(client, side)

    with client.session_transaction() as state:
        identity = state["_user_id"]
        assert set(state) <= {"_user_id", "_fresh", "_id", "csrf_token", "_permanent", "_flashes"}
    kind, _, token = identity.partition(":")
    row = session_of(client)
    assert kind == side.kind and len(token) >= 43 and str(side.account.id) not in identity.split(":")
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (row.token_hash, row.credential_fingerprint)


def test_recent_sign_ins_lists_this_accounts_active_sessions_only(side: Side, client, new_client, app):
    phone = new_client()
    phone.environ_base["HTTP_USER_AGENT"] = "PhoneBrowser/1.0"
    sign_in_with_password(phone, side)
    laptop_then_signed_out = new_client()
    laptop_then_signed_out.environ_base["HTTP_USER_AGENT"] = "OldLaptop/9.9"
    sign_in_with_password(laptop_then_signed_out, side)
    _sign_out(laptop_then_signed_out, side)
    stranger = new_client()
    stranger.environ_base["HTTP_USER_AGENT"] = "StrangerBrowser/2.0"
    sign_in_with_password(stranger, side, email=str(side.stranger.email))
    client.environ_base["HTTP_USER_AGENT"] = "DeskBrowser/3.0"
    sign_in_with_password(client, side)

    page = client.get(side.url("/account/security")).get_data(as_text=True)

    assert "PhoneBrowser/1.0" in page and "DeskBrowser/3.0" in page
    assert "OldLaptop/9.9" not in page and "StrangerBrowser/2.0" not in page
    assert page.count("data-session=") == 2
    assert "This device" in page and "Sign out everywhere else" in page


def test_signing_out_another_device_ends_it_at_once(side: Side, client, new_client):
    phone = new_client()
    sign_in_with_password(phone, side)
    sign_in_with_password(client, side)
    phone_session = session_of(phone)

    response = post_form(
        client,
        side.url("/account/security"),
        {},
        action=side.url(f"/account/sessions/{phone_session.id}/end"),
    )

    assert response.status_code == 302
    assert not _is_signed_in(phone, side)
    assert _is_signed_in(client, side)
    assert session_of(phone).ended_reason == "ended_from_another_session"


def test_someone_elses_session_cannot_be_ended(side: Side, client, new_client):
    stranger = new_client()
    sign_in_with_password(stranger, side, email=str(side.stranger.email))
    sign_in_with_password(client, side)
    strangers_session = session_of(stranger)

    for session_id in (strangers_session.id, 999_999_999):
        response = post_form(
            client, side.url("/account/security"), {}, action=side.url(f"/account/sessions/{session_id}/end")
        )
        assert response.status_code == 404

    assert _is_signed_in(stranger, side)
    assert session_of(stranger).ended_at is None


def test_an_ended_session_cannot_be_ended_again(side: Side, client, new_client):
    phone = new_client()
    sign_in_with_password(phone, side)
    phone_session = session_of(phone)
    _sign_out(phone, side)
    sign_in_with_password(client, side)

    response = post_form(
        client,
        side.url("/account/security"),
        {},
        action=side.url(f"/account/sessions/{phone_session.id}/end"),
    )

    assert response.status_code == 404


def test_sign_out_everywhere_else_keeps_only_this_session(side: Side, client, new_client):
    others = [new_client() for _ in range(3)]
    for other in others:
        sign_in_with_password(other, side)
    stranger = new_client()
    sign_in_with_password(stranger, side, email=str(side.stranger.email))
    sign_in_with_password(client, side)

    response = post_form(
        client, side.url("/account/security"), {}, action=side.url("/account/sessions/end-others")
    )

    assert response.status_code == 302
    assert _is_signed_in(client, side)
    assert not any(_is_signed_in(other, side) for other in others)
    assert _is_signed_in(stranger, side)
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "account.signed_out_everywhere_else")
    ).one()
    assert event.subject_id == side.account.id and event.after["sessions"] == 3


def test_ending_sessions_needs_a_post_with_the_csrf_token(side: Side, client, new_client):
    phone = new_client()
    sign_in_with_password(phone, side)
    sign_in_with_password(client, side)
    phone_session = session_of(phone)

    for path in (f"/account/sessions/{phone_session.id}/end", "/account/sessions/end-others"):
        assert client.post(side.url(path), data={}).status_code == 400
        assert client.get(side.url(path)).status_code == 405

    assert _is_signed_in(phone, side)


def test_security_pages_ask_a_signed_out_visitor_to_sign_in(side: Side, client):
    response = client.get(side.url("/account/security"))

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_last_used_is_written_at_most_once_a_minute(side: Side, client):
    sign_in_with_password(client, side)
    row = age_session(client, idle=TOUCH_EVERY / 2, since_sign_in=timedelta(hours=1))
    half_a_minute_ago = row.last_used_at

    client.get(side.url("/account/security"))
    assert session_of(client).last_used_at == half_a_minute_ago  # no write for a request so soon after

    age_session(client, idle=TOUCH_EVERY * 2, since_sign_in=timedelta(hours=1))
    client.get(side.url("/account/security"))
    assert session_of(client).last_used_at > half_a_minute_ago


def test_an_idle_session_ends_on_the_server_and_says_so(side: Side, client):
    sign_in_with_password(client, side)
    age_session(client, idle=timedelta(minutes=31), since_sign_in=timedelta(hours=1))

    assert not _is_signed_in(client, side)
    row = db.session.scalars(select(SignInSession).order_by(SignInSession.id.desc()).limit(1)).one()
    assert row.ended_reason == "expired"


def test_changing_the_password_elsewhere_ends_the_session(side: Side, client):
    """The record is bound to the password hash: a password changed by any means (another app, a reset) ends it."""
    sign_in_with_password(client, side)
    if side.kind == "contact":
        side.account.portal_password_hash = "$argon2id$changed-by-another-app"
    else:
        side.account.password_hash = "$argon2id$changed-by-another-app"
    db.session.flush()

    assert not _is_signed_in(client, side)


def test_a_marketplace_password_reset_ends_every_other_session(client, new_client, app):
    from app.tokens import MARKETPLACE_RESET, make_token
    from tests.account_security.conftest import marketplace_side

    side = marketplace_side()
    laptop = new_client()
    sign_in_with_password(laptop, side)
    token = make_token(MARKETPLACE_RESET, side.account.id, bound_to=side.account.password_hash)

    response = post_form(client, f"/reset-password/{token}", {"password": "a fresh passphrase 7"})

    assert response.status_code == 302
    assert not _is_signed_in(laptop, side)
    assert _is_signed_in(client, side)
    assert session_of(laptop).ended_reason == "password_changed"


def test_suspending_a_user_signs_them_out_everywhere_and_is_recorded(app, client, new_client):
    from tests.account_security.conftest import marketplace_side

    side = marketplace_side()
    phone = new_client()
    sign_in_with_password(phone, side)
    sign_in_with_password(client, side)

    result: Result = app.test_cli_runner().invoke(
        args=["marketplace", "suspend", "--email", side.email, "--reason", "chargebacks"]
    )

    assert result.exit_code == 0, result.output
    assert "signed out of 2 session(s)" in result.output
    assert not _is_signed_in(client, side) and not _is_signed_in(phone, side)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "account.suspended")).one()
    assert (event.actor_kind, event.subject_id, event.after["reason"]) == (
        "cli",
        side.account.id,
        "chargebacks",
    )
    assert sign_in_with_password(client, side).status_code == 403

    result = app.test_cli_runner().invoke(args=["marketplace", "reinstate", "--email", side.email])
    assert result.exit_code == 0, result.output
    assert sign_in_with_password(client, side).status_code == 302
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "account.reinstated")) == 1


def test_a_portal_invitation_is_recorded(app):
    from tests.account_security.conftest import portal_side

    side = portal_side()
    result = app.test_cli_runner().invoke(
        args=["portal", "invite", "--tenant", "sunny", "--email", side.email]
    )

    assert result.exit_code == 0, result.output
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "account.invited")).one()
    assert (event.actor_kind, event.subject_table, event.subject_id) == ("cli", "Contact", side.account.id)
    assert event.tenant_id == side.account.tenant_id


def test_wrong_password_sign_in_is_recorded_for_the_account(side: Side, client):
    sign_in_with_password(client, side, password="not-the-password-1")

    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "account.sign_in_failed")).one()
    assert (event.actor_kind, event.subject_id) == ("system", side.account.id)
    assert sign_in_with_password(client, side, password=PASSWORD).status_code == 302


def test_the_security_page_runs_a_fixed_number_of_queries(side: Side, login_as, client, new_client):
    from tests.account_security.conftest import enrol
    from tests.query_count import count_queries

    enrol(side.account)

    def queries_for_page() -> int:
        login_as(side.account)
        with count_queries() as statements:
            response = client.get(side.url("/account/security"))
        assert response.status_code == 200
        return len(statements)

    few = queries_for_page()
    for _ in range(6):
        sign_in_with_password(
            new_client(), side, password="not-the-password-1"
        )  # a failed-sign-in event each
        login_as(side.account)  # another session each
    many = queries_for_page()

    # Identity (session joined to its account), two-factor credential, its unused recovery codes, the active
    # sessions and the recent events (the portal adds its tenant lookup).
    assert few == many
