"""Portal accounts: sign in and out, invite and reset links, change password."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from app.auth import refresh_identity, sign_in, sign_out
from app.extensions import db, limiter
from app.mail import send_mail
from app.passwords import hash_password, needs_rehash, password_problems, verify_password
from app.tokens import TokenInvalid
from models import Contact, Tenant
from models.types import utcnow
from portal import bp, throttle
from portal.forms import ChangePasswordForm, ForgotPasswordForm, LoginForm, SetPasswordForm
from portal.invites import (
    MAX_AGE,
    RESET,
    contact_from_set_password_token,
    portal_contact_by_email,
    set_password_url,
)
from portal.tenancy import portal_contact, portal_login_required, portal_tenant, safe_next, signed_in_contact

# One message for an unknown e-mail, a wrong password and a disabled portal: nothing to enumerate.
SIGN_IN_FAILED = "That e-mail and password do not match an account with portal access."
RESET_SENT = "If that address has portal access, we have sent it a link to choose a new password."
TOKEN_MAX_LENGTH = 1000

FormPage = tuple[str, int] | Response


def _invoices_url(tenant: Tenant) -> str:
    return url_for("portal.invoices", tenant_slug=tenant.slug)


def _password_inputs(contact: Contact, tenant: Tenant) -> list[str]:
    return [v for v in (contact.email, contact.first_name, contact.last_name, tenant.name, tenant.slug) if v]


def _form_page(template: str, status_if_posted: int = 422, **context: object) -> tuple[str, int]:
    status = status_if_posted if request.method == "POST" else 200
    return render_template(template, tenant=portal_tenant(), **context), status


def _start_portal_session(contact: Contact) -> None:
    contact.portal_last_login = utcnow()
    db.session.commit()
    sign_in("contact", contact)


@bp.get("/")
def home(tenant_slug: str) -> Response:
    return redirect(_invoices_url(portal_tenant()))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(throttle.LOGIN_PER_IP_AND_EMAIL, key_func=throttle.ip_and_email_key, methods=["POST"])
@limiter.limit(throttle.LOGIN_PER_IP, key_func=throttle.ip_key, methods=["POST"])
@throttle.limit_failed_attempts(throttle.FAILED_LOGINS_PER_ACCOUNT, throttle.account_key)
def login(tenant_slug: str) -> FormPage:
    tenant = portal_tenant()
    form = LoginForm()
    if request.method == "GET":
        if portal_contact() is not None:
            return redirect(_invoices_url(tenant))
        form.next.data = safe_next(request.args.get("next"), tenant.slug) or ""
    if form.validate_on_submit():
        contact = portal_contact_by_email(tenant, form.email.data)
        stored_hash = contact.portal_password_hash if contact else None
        if verify_password(stored_hash, form.password.data) and contact and stored_hash:
            if needs_rehash(stored_hash):
                contact.portal_password_hash = hash_password(form.password.data)
            _start_portal_session(contact)
            return redirect(safe_next(form.next.data, tenant.slug) or _invoices_url(tenant))
        throttle.mark_failed_attempt()
        form.form_errors.append(SIGN_IN_FAILED)
    return _form_page("portal/login.html", form=form)


@bp.post("/logout")
def logout(tenant_slug: str) -> Response:
    if portal_contact() is not None:
        sign_out()
        flash("You are signed out.", "info")
    return redirect(url_for("portal.login", tenant_slug=portal_tenant().slug))


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(throttle.FORGOT_PER_IP_AND_EMAIL, key_func=throttle.ip_and_email_key, methods=["POST"])
@limiter.limit(throttle.FORGOT_PER_IP, key_func=throttle.ip_key, methods=["POST"])
def forgot_password(tenant_slug: str) -> FormPage:
    tenant = portal_tenant()
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        contact = portal_contact_by_email(tenant, form.email.data)
        if contact is not None and contact.email:
            _send_reset_link(contact, tenant)
        flash(RESET_SENT, "info")
        return redirect(url_for("portal.forgot_password", tenant_slug=tenant.slug))
    return _form_page("portal/forgot_password.html", form=form)


def _send_reset_link(contact: Contact, tenant: Tenant) -> None:
    minutes = int(MAX_AGE[RESET].total_seconds() // 60)
    send_mail(
        contact.email or "",
        f"Choose a new password for the {tenant.name} client portal",
        f"Hello {contact.display_name},\n\n"
        f"Someone asked to reset your password for the {tenant.name} client portal.\n"
        f"Choose a new password here (the link works once, for {minutes} minutes):\n\n"
        f"{set_password_url(RESET, contact, tenant)}\n\n"
        "If you did not ask for this, you can ignore this message; your password stays the same.\n",
    )


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@limiter.limit(throttle.SET_PASSWORD_PER_IP, key_func=throttle.ip_key, methods=["POST"])
def set_password(tenant_slug: str, token: str) -> FormPage:
    tenant = portal_tenant()
    try:
        if len(token) > TOKEN_MAX_LENGTH:
            raise TokenInvalid("This link is not valid.")
        contact = contact_from_set_password_token(token, tenant)
    except TokenInvalid as error:
        return render_template("portal/link_invalid.html", tenant=tenant, reason=error.reason), 400
    form = SetPasswordForm()
    if form.validate_on_submit():
        problems = password_problems(form.password.data, _password_inputs(contact, tenant))
        if not problems:
            contact.portal_password_hash = hash_password(form.password.data)
            _start_portal_session(contact)
            flash("Your password is set. Welcome!", "info")
            return redirect(_invoices_url(tenant))
        form.password.errors = [*form.password.errors, *problems]
    return _form_page("portal/set_password.html", form=form, contact=contact, token=token)


@bp.route("/account/password", methods=["GET", "POST"])
@portal_login_required
@throttle.limit_failed_attempts(throttle.FAILED_PASSWORD_CHANGES_PER_IP, throttle.ip_key)
def change_password(tenant_slug: str) -> FormPage:
    tenant = portal_tenant()
    contact = signed_in_contact()
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not verify_password(contact.portal_password_hash, form.current_password.data):
            throttle.mark_failed_attempt()
            form.current_password.errors = ["That is not your current password."]
        elif problems := password_problems(form.password.data, _password_inputs(contact, tenant)):
            form.password.errors = problems
        else:
            contact.portal_password_hash = hash_password(form.password.data)
            db.session.commit()
            refresh_identity()
            flash("Your password is changed. Any other signed-in devices were signed out.", "info")
            return redirect(_invoices_url(tenant))
    return _form_page("portal/change_password.html", form=form)
