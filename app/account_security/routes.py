"""The security pages' views, shared by both faces; `register` adds them to a face's blueprint.

URLs (under the face's prefix): /account/security, /account/sessions/<id>/end (POST),
/account/sessions/end-others (POST), /account/two-factor/start (POST), /account/two-factor/setup,
/account/two-factor/disable and /login/two-factor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template
from flask_login import current_user
from werkzeug.wrappers import Response

from app import sessions, two_factor
from app.account_security import Face
from app.account_security.forms import ButtonForm, CodeForm, DisableTwoFactorForm
from app.account_security.pending import forget_pending, pending_account, pending_key, pending_next
from app.auth import sign_in, sign_out
from app.extensions import db, limiter
from app.forms import render_form
from app.passwords import verify_password
from app.security_events import SecurityAction, describe, recent_security_events, record_security_event
from app.throttling import limit_failed_attempts, mark_failed_attempt
from models import ActorKind, SessionEndReason
from models.types import utcnow

# Wrong codes per account, over all addresses: with a 6-digit code and three steps accepted, 5 guesses in 15
# minutes is about one chance in 2,000 a day for someone who already has the password.
FAILED_CODES_PER_ACCOUNT = "5 per 15 minutes"
CODE_PAGES_PER_IP = "30 per minute"
WRONG_CODE = "That code is not right, or it was already used. Enter the newest code from your app."

Page = str | tuple[str, int] | Response


def security_page(face: Face) -> Page:
    account = face.signed_in_account()
    credential = two_factor.credential_of(face.kind, account.id)
    enabled = credential is not None and credential.enabled_at is not None
    return render_template(
        "account_security/security.html",
        sessions=sessions.active_sessions(face.kind, account.id),
        this_session_id=current_user.session_record.id,
        events=recent_security_events(account),
        describe=describe,
        two_factor_enabled=enabled,
        recovery_codes_left=two_factor.unused_recovery_codes(credential) if enabled and credential else 0,
        form=ButtonForm(),
        **face.context("Security"),
    )


def end_session(face: Face, session_id: int) -> Response:
    if not ButtonForm().validate_on_submit():
        abort(400)
    account = face.signed_in_account()
    row = sessions.active_session_of(face.kind, account.id, session_id)
    if row is None:
        abort(404)
    if row.id == current_user.session_record.id:
        sign_out()
        flash("You are signed out.", "info")
        return redirect(face.url("login"))
    sessions.end(row, SessionEndReason.ENDED_FROM_ANOTHER_SESSION)
    record_security_event(account, SecurityAction.SESSION_ENDED, detail={"session_id": row.id})
    db.session.commit()
    flash("That device is signed out.", "info")
    return redirect(face.url("security"))


def end_other_sessions(face: Face) -> Response:
    if not ButtonForm().validate_on_submit():
        abort(400)
    account = face.signed_in_account()
    ended = sessions.end_all(
        face.kind,
        account.id,
        SessionEndReason.ENDED_FROM_ANOTHER_SESSION,
        except_id=current_user.session_record.id,
    )
    record_security_event(account, SecurityAction.SIGNED_OUT_EVERYWHERE_ELSE, detail={"sessions": ended})
    db.session.commit()
    flash("You are signed out everywhere else.", "info")
    return redirect(face.url("security"))


def start_two_factor(face: Face) -> Response:
    if not ButtonForm().validate_on_submit():
        abort(400)
    account = face.signed_in_account()
    if two_factor.enabled_credential(face.kind, account.id) is None:
        two_factor.start_enrolment(face.kind, account.id)
        db.session.commit()
    return redirect(face.url("two_factor_setup"))


def two_factor_setup(face: Face) -> Page:
    account = face.signed_in_account()
    credential = two_factor.credential_of(face.kind, account.id)
    if credential is None or credential.enabled_at is not None:
        return redirect(face.url("security"))
    form = CodeForm()
    if form.validate_on_submit():
        if two_factor.accept_code(credential, form.code.data):
            credential.enabled_at = utcnow()
            codes = two_factor.new_recovery_codes(credential)
            record_security_event(account, SecurityAction.TWO_FACTOR_ENABLED)
            db.session.commit()
            return render_template(
                "account_security/recovery_codes.html", codes=codes, **face.context("Recovery codes")
            )
        mark_failed_attempt()
        form.code.errors = [WRONG_CODE]
    uri = two_factor.provisioning_uri(credential, account.email or str(account.id), face.site_name())
    return render_form(
        "account_security/two_factor_setup.html",
        form,
        qr_code=two_factor.qr_code_svg(uri),
        secret=credential.secret,
        **face.context("Set up two-factor sign-in"),
    )


def two_factor_disable(face: Face) -> Page:
    account = face.signed_in_account()
    credential = two_factor.enabled_credential(face.kind, account.id)
    if credential is None:
        return redirect(face.url("security"))
    form = DisableTwoFactorForm()
    if form.validate_on_submit():
        password_ok = verify_password(face.password_hash(account), form.password.data)
        # The code is only tried with the right password, so a wrong password never spends a recovery code.
        if password_ok and two_factor.accept_code_or_recovery_code(credential, form.code.data):
            two_factor.disable(credential)
            record_security_event(account, SecurityAction.TWO_FACTOR_DISABLED)
            db.session.commit()
            flash("Two-factor sign-in is off.", "info")
            return redirect(face.url("security"))
        mark_failed_attempt()
        form.form_errors.append("That password and code do not match your account.")
    return render_form(
        "account_security/two_factor_disable.html", form, **face.context("Turn off two-factor")
    )


def login_two_factor(face: Face) -> Page:
    account = pending_account(face)
    if account is None:
        forget_pending()
        flash("Please sign in again.", "info")
        return redirect(face.url("login"))
    credential = two_factor.enabled_credential(face.kind, account.id)
    form = CodeForm()
    if form.validate_on_submit() and credential is not None:
        used = two_factor.accept_code_or_recovery_code(credential, form.code.data)
        if used is not None:
            next_url = pending_next() or face.url("security")
            forget_pending()
            if used == "recovery_code":
                record_security_event(account, SecurityAction.RECOVERY_CODE_USED)
            sign_in(face.kind, account)
            return redirect(next_url)
        mark_failed_attempt()
        record_security_event(account, SecurityAction.SECOND_FACTOR_FAILED, actor_kind=ActorKind.SYSTEM)
        db.session.commit()
        form.code.errors = [WRONG_CODE]
    return render_form("account_security/login_two_factor.html", form, **face.context("Two-factor sign-in"))


def register(bp: Blueprint, face: Face, login_required: Callable[..., Any]) -> None:
    def key() -> str:
        return pending_key(face.kind)

    limited_codes = limit_failed_attempts(FAILED_CODES_PER_ACCOUNT, key)

    def view(
        function: Callable[..., Any], *, signed_in: bool = True, codes: bool = False
    ) -> Callable[..., Any]:
        def handle(**values: Any) -> Any:
            values.pop("tenant_slug", None)  # the portal's prefix; its before_request hook already used it
            return function(face, **values)

        handle.__name__ = f"{face.blueprint}_{function.__name__}"
        if codes:
            handle = limiter.limit(CODE_PAGES_PER_IP, methods=["POST"])(limited_codes(handle))
        return login_required(handle) if signed_in else handle

    bp.add_url_rule("/account/security", "security", view(security_page))
    bp.add_url_rule(
        "/account/sessions/<int:session_id>/end", "end_session", view(end_session), methods=["POST"]
    )
    bp.add_url_rule(
        "/account/sessions/end-others", "end_other_sessions", view(end_other_sessions), methods=["POST"]
    )
    bp.add_url_rule("/account/two-factor/start", "start_two_factor", view(start_two_factor), methods=["POST"])
    bp.add_url_rule(
        "/account/two-factor/setup",
        "two_factor_setup",
        view(two_factor_setup, codes=True),
        methods=["GET", "POST"],
    )
    bp.add_url_rule(
        "/account/two-factor/disable",
        "two_factor_disable",
        view(two_factor_disable, codes=True),
        methods=["GET", "POST"],
    )
    bp.add_url_rule(
        "/login/two-factor",
        "login_two_factor",
        view(login_two_factor, signed_in=False, codes=True),
        methods=["GET", "POST"],
    )
