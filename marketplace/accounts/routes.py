"""Marketplace accounts: register, sign in and out, verify e-mail, reset password.

No account enumeration: registering an address that already has an account, and asking to reset the
password of an unknown address, answer exactly as the ordinary case does; the mailbox owner learns the rest.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, render_template, request, session, url_for
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response as BaseResponse

from app import account_security, sessions
from app.account_security import routes as account_security_routes
from app.account_security.pending import continue_sign_in
from app.auth import sign_out
from app.extensions import db, limiter
from app.forms import render_form
from app.links import external_url
from app.local_time import BROWSER_ZONE_FIELD, valid_zone
from app.mail import send_template
from app.passwords import hash_password, needs_rehash, verify_password
from app.redirects import safe_next
from app.security_events import SecurityAction, record_security_event
from app.throttling import limit_failed_attempts, mark_failed_attempt
from app.tokens import (
    MARKETPLACE_RESET,
    MARKETPLACE_VERIFY_EMAIL,
    TokenInvalid,
    TokenKind,
    check_still_bound,
    make_token,
    read_token,
)
from marketplace import bp, limits
from marketplace.access import marketplace_login_required, signed_in_marketplace_user
from marketplace.accounts.forms import (
    ConfirmForm,
    ForgotPasswordForm,
    LoginForm,
    RegisterForm,
    ResetPasswordForm,
)
from marketplace.accounts.queries import user_by_email
from models import ActorKind, MarketplaceUser, SessionEndReason, UserStatus

INACTIVE_MESSAGES = {
    UserStatus.SUSPENDED: "This account is suspended. Please contact support.",
    UserStatus.BANNED: "This account has been closed.",
}


def _account_in_good_standing(user_id: int) -> MarketplaceUser | None:
    user = db.session.get(MarketplaceUser, user_id)
    return user if user is not None and user.in_good_standing else None


MARKETPLACE = account_security.Face(
    kind="marketplace",
    blueprint="marketplace",
    layout="base.html",
    site_name=lambda: "Breeder Marketplace",
    url_values=dict,
    template_context=dict,
    signed_in_account=signed_in_marketplace_user,
    find_account=_account_in_good_standing,
    password_hash=lambda user: user.password_hash,  # type: ignore[union-attr]
)


def _verify_binding(user: MarketplaceUser) -> str:
    # Dies when the address is verified (single use), or when the e-mail or password changes.
    return f"{user.email}|{bool(user.email_verified)}|{user.password_hash}"


def send_verification_mail(user: MarketplaceUser) -> None:
    token = make_token(MARKETPLACE_VERIFY_EMAIL, user.id, bound_to=_verify_binding(user))
    link = external_url("marketplace.verify_email", token=token)
    send_template(
        user.email,
        "marketplace_verify_email",
        user=user,
        link=link,
        valid_for=MARKETPLACE_VERIFY_EMAIL.max_age,
    )


def _send_already_registered_mail(user: MarketplaceUser) -> None:
    send_template(
        user.email,
        "marketplace_already_registered",
        login_link=external_url("marketplace.login"),
        forgot_password_link=external_url("marketplace.forgot_password"),
    )


CHECK_EMAIL_ADDRESS = "check_email_address"
EMAIL_CONFIRMED = "E-mail confirmed. Thank you!"


def _landing_for(user: MarketplaceUser) -> str:
    return url_for("marketplace.dashboard_listings") if user.is_provider else url_for("marketplace.listings")


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(limits.REGISTER_PER_IP, methods=["POST"])
def register() -> str | tuple[str, int] | BaseResponse:
    form = RegisterForm()
    if form.validate_on_submit():
        session[CHECK_EMAIL_ADDRESS] = (
            form.email.data
        )  # "Check your e-mail" names it, whichever way this ends
        password_hash = hash_password(form.password.data)  # spent either way, so timing reveals nothing
        existing = user_by_email(form.email.data)
        if existing is not None:
            _send_already_registered_mail(existing)
            return redirect(url_for("marketplace.check_email"))
        user = MarketplaceUser(
            email=form.email.data,
            password_hash=password_hash,
            first_name=form.first_name.data,
            last_name=form.last_name.data,
            user_type=form.user_type.data,
            email_verified=False,
            status=UserStatus.ACTIVE,
            time_zone=valid_zone(request.form.get(BROWSER_ZONE_FIELD)),
        )
        db.session.add(user)
        try:
            db.session.commit()
        except IntegrityError:  # the same address registered a moment ago
            db.session.rollback()
            return redirect(url_for("marketplace.check_email"))
        send_verification_mail(user)
        return redirect(url_for("marketplace.check_email"))
    return render_form("marketplace/accounts/register.html", form)


@bp.get("/register/check-email")
def check_email() -> str:
    return render_template("marketplace/accounts/check_email.html", email=session.get(CHECK_EMAIL_ADDRESS))


@bp.route("/register/resend", methods=["GET", "POST"])
@limiter.limit(limits.RESEND_VERIFICATION_PER_IP, methods=["POST"])
@limiter.limit(limits.RESEND_VERIFICATION_PER_EMAIL, methods=["POST"], key_func=limits.email_key)
def resend_verification_by_email() -> str | tuple[str, int]:
    """A new confirmation link without signing in. Like "Forgot your password?", the answer is the same whether
    or not an unconfirmed account has that address, so it tells nobody which addresses have accounts."""
    form = ForgotPasswordForm()
    if request.method == "GET":
        form.email.data = session.get(CHECK_EMAIL_ADDRESS)
    if form.validate_on_submit():
        user = user_by_email(form.email.data)
        if user is not None and not user.email_verified:
            send_verification_mail(user)
        session[CHECK_EMAIL_ADDRESS] = form.email.data
        return render_template("marketplace/accounts/check_email.html", email=form.email.data, resent=True)
    return render_form("marketplace/accounts/resend_verification.html", form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(limits.LOGIN_PER_IP, methods=["POST"])
@limit_failed_attempts(limits.FAILED_LOGINS_PER_IP_AND_EMAIL, limits.ip_and_email_key)
@limit_failed_attempts(limits.FAILED_LOGINS_PER_ACCOUNT, limits.email_key)
def login() -> str | tuple[str, int] | BaseResponse:
    form = LoginForm()
    next_url = safe_next(request.args.get("next"))
    if form.validate_on_submit():
        user = user_by_email(form.email.data)
        if verify_password(user.password_hash if user else None, form.password.data) and user:
            if not user.in_good_standing:
                form.form_errors.append(
                    INACTIVE_MESSAGES.get(user.status or "", INACTIVE_MESSAGES[UserStatus.SUSPENDED])
                )
                mark_failed_attempt()
                return render_template("marketplace/accounts/login.html", form=form, next_url=next_url), 403
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(form.password.data)
                db.session.commit()
            return continue_sign_in(MARKETPLACE, user, next_url or _landing_for(user))
        form.form_errors.append("The e-mail or password is incorrect.")
        if user is not None:
            record_security_event(user, SecurityAction.SIGN_IN_FAILED, actor_kind=ActorKind.SYSTEM)
            db.session.commit()
    if form.is_submitted():
        mark_failed_attempt()
    return render_form("marketplace/accounts/login.html", form, next_url=next_url)


@bp.post("/logout")
def logout() -> BaseResponse:
    sign_out()
    flash("You are signed out.", "info")
    return redirect(url_for("marketplace.index"))


def _user_from_token(
    kind: TokenKind, token: str, binding: Callable[[MarketplaceUser], str | None]
) -> MarketplaceUser:
    user_id, token_fingerprint = read_token(kind, token)
    user = db.session.get(MarketplaceUser, user_id)
    if user is None:
        raise TokenInvalid("This link is not valid.")
    check_still_bound(token_fingerprint, binding(user))
    return user


@bp.route("/verify-email/<token>", methods=["GET", "POST"])
def verify_email(token: str) -> str | tuple[str, int] | BaseResponse:
    try:
        user = _user_from_token(MARKETPLACE_VERIFY_EMAIL, token, _verify_binding)
    except TokenInvalid as error:
        return render_template("marketplace/accounts/link_invalid.html", reason=error.reason), 400
    form = ConfirmForm()
    if not form.validate_on_submit():
        return render_template("marketplace/accounts/verify_email.html", form=form, user=user)
    user.email_verified = True
    db.session.commit()
    if not user.in_good_standing:
        flash(EMAIL_CONFIRMED, "success")
        return redirect(url_for("marketplace.login"))
    response = continue_sign_in(MARKETPLACE, user, _landing_for(user))
    flash(EMAIL_CONFIRMED, "success")  # after: signing in starts a fresh session, which would drop it
    return response


@bp.post("/verify-email/resend")
@marketplace_login_required
@limiter.limit(limits.RESEND_VERIFICATION_PER_USER, methods=["POST"])
def resend_verification() -> BaseResponse:
    user = signed_in_marketplace_user()
    if user.email_verified:
        flash("Your e-mail address is already confirmed.", "info")
    else:
        send_verification_mail(user)
        flash(f"We sent a new confirmation link to {user.email}.", "info")
    return redirect(safe_next(request.form.get("next")) or url_for("marketplace.listings"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(limits.FORGOT_PER_IP, methods=["POST"])
@limiter.limit(limits.FORGOT_PER_EMAIL, methods=["POST"], key_func=limits.email_key)
def forgot_password() -> str | tuple[str, int]:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = user_by_email(form.email.data)
        if user is not None:
            token = make_token(MARKETPLACE_RESET, user.id, bound_to=user.password_hash)
            link = external_url("marketplace.reset_password", token=token)
            send_template(
                user.email, "marketplace_reset_password", link=link, valid_for=MARKETPLACE_RESET.max_age
            )
        return render_template("marketplace/accounts/forgot_password_sent.html", email=form.email.data)
    return render_form("marketplace/accounts/forgot_password.html", form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> str | tuple[str, int] | BaseResponse:
    try:
        user = _user_from_token(MARKETPLACE_RESET, token, lambda u: u.password_hash)
    except TokenInvalid as error:
        return render_template("marketplace/accounts/link_invalid.html", reason=error.reason), 400
    form = ResetPasswordForm()
    form.password_context = lambda: [user.email, user.first_name or "", user.last_name or ""]  # type: ignore[method-assign]
    if form.validate_on_submit():
        user.password_hash = hash_password(form.password.data)
        user.email_verified = True  # the link reached the mailbox, which is what verification proves
        sessions.end_all("marketplace", user.id, SessionEndReason.PASSWORD_CHANGED)
        record_security_event(user, SecurityAction.PASSWORD_RESET)
        db.session.commit()
        if not user.in_good_standing:
            flash("Your password is changed, but this account cannot sign in.", "info")
            return redirect(url_for("marketplace.login"))
        response = continue_sign_in(MARKETPLACE, user, _landing_for(user))
        flash("Your password is changed.", "success")
        return response
    return render_form("marketplace/accounts/reset_password.html", form)


account_security_routes.register(bp, MARKETPLACE, marketplace_login_required)
