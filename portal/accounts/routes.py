"""Portal accounts: sign in and out (with a two-factor code when it is on), invite and reset links, change password,
and the security pages (app.account_security)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from app import account_security, sessions
from app.account_security import routes as account_security_routes
from app.account_security.pending import continue_sign_in
from app.auth import refresh_identity, sign_out
from app.extensions import db, limiter
from app.forms import render_form
from app.mail import send_template
from app.passwords import hash_password, needs_rehash, password_problems, verify_password
from app.security_events import SecurityAction, record_security_event
from app.tokens import PORTAL_RESET, TokenInvalid
from models import ActorKind, Contact, SessionEndReason, Tenant
from models.types import utcnow
from portal import bp, limits
from portal.access import (
    portal_login_required,
    portal_safe_next,
    signed_in_contact,
    signed_in_contact_or_none,
)
from portal.accounts.forms import ChangePasswordForm, ForgotPasswordForm, LoginForm, SetPasswordForm
from portal.accounts.invites import contact_from_set_password_token, set_password_url
from portal.accounts.queries import portal_contact_by_email, portal_contact_by_id
from portal.tenancy import portal_tenant

# One message for an unknown e-mail, a wrong password and a disabled portal: nothing to enumerate.
SIGN_IN_FAILED = "That e-mail and password do not match an account with portal access."
RESET_SENT = "If that address has portal access, we have sent it a link to choose a new password."

FormPage = tuple[str, int] | Response


def _invoices_url(tenant: Tenant) -> str:
    return url_for("portal.invoices", tenant_slug=tenant.slug)


def _password_inputs(contact: Contact, tenant: Tenant) -> list[str]:
    return [v for v in (contact.email, contact.first_name, contact.last_name, tenant.name, tenant.slug) if v]


PORTAL = account_security.Face(
    kind="contact",
    blueprint="portal",
    layout="portal/_layout.html",
    site_name=lambda: portal_tenant().name,
    url_values=lambda: {"tenant_slug": portal_tenant().slug},
    template_context=lambda: {"tenant": portal_tenant()},
    signed_in_account=signed_in_contact,
    find_account=portal_contact_by_id,
    password_hash=lambda contact: contact.portal_password_hash,  # type: ignore[union-attr]
)


def _start_portal_session(contact: Contact, next_url: str) -> Response:
    contact.portal_last_login = utcnow()
    db.session.commit()
    return continue_sign_in(PORTAL, contact, next_url)


@bp.get("/")
def home(tenant_slug: str) -> Response:
    return redirect(_invoices_url(portal_tenant()))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(limits.LOGIN_PER_IP_AND_EMAIL, key_func=limits.ip_and_email_key, methods=["POST"])
@limiter.limit(limits.LOGIN_PER_IP, key_func=limits.ip_key, methods=["POST"])
@limits.limit_failed_attempts(limits.FAILED_LOGINS_PER_ACCOUNT, limits.account_key)
def login(tenant_slug: str) -> FormPage:
    tenant = portal_tenant()
    form = LoginForm()
    if request.method == "GET":
        if signed_in_contact_or_none() is not None:
            return redirect(_invoices_url(tenant))
        form.next.data = portal_safe_next(request.args.get("next"), tenant.slug) or ""
    if form.validate_on_submit():
        contact = portal_contact_by_email(form.email.data)
        stored_hash = contact.portal_password_hash if contact else None
        if verify_password(stored_hash, form.password.data) and contact and stored_hash:
            if needs_rehash(stored_hash):
                contact.portal_password_hash = hash_password(form.password.data)
            return _start_portal_session(
                contact, portal_safe_next(form.next.data, tenant.slug) or _invoices_url(tenant)
            )
        limits.mark_failed_attempt()
        if contact is not None:
            record_security_event(contact, SecurityAction.SIGN_IN_FAILED, actor_kind=ActorKind.SYSTEM)
            db.session.commit()
        form.form_errors.append(SIGN_IN_FAILED)
    return render_form("portal/accounts/login.html", form, tenant=tenant)


@bp.post("/logout")
def logout(tenant_slug: str) -> Response:
    if signed_in_contact_or_none() is not None:
        sign_out()
        flash("You are signed out.", "info")
    return redirect(url_for("portal.login", tenant_slug=portal_tenant().slug))


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(limits.FORGOT_PER_IP_AND_EMAIL, key_func=limits.ip_and_email_key, methods=["POST"])
@limiter.limit(limits.FORGOT_PER_IP, key_func=limits.ip_key, methods=["POST"])
def forgot_password(tenant_slug: str) -> FormPage:
    tenant = portal_tenant()
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        contact = portal_contact_by_email(form.email.data)
        if contact is not None and contact.email:
            _send_reset_link(contact, tenant)
        flash(RESET_SENT, "info")
        return redirect(url_for("portal.forgot_password", tenant_slug=tenant.slug))
    return render_form("portal/accounts/forgot_password.html", form, tenant=tenant)


def _send_reset_link(contact: Contact, tenant: Tenant) -> None:
    send_template(
        contact.email or "",
        "portal_reset_password",
        contact=contact,
        tenant=tenant,
        link=set_password_url(PORTAL_RESET, contact, tenant),
        valid_for=PORTAL_RESET.max_age,
    )


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@limiter.limit(limits.SET_PASSWORD_PER_IP, key_func=limits.ip_key, methods=["POST"])
def set_password(tenant_slug: str, token: str) -> FormPage:
    tenant = portal_tenant()
    try:
        contact = contact_from_set_password_token(token)
    except TokenInvalid as error:
        return render_template("portal/accounts/link_invalid.html", tenant=tenant, reason=error.reason), 400
    form = SetPasswordForm()
    if form.validate_on_submit():
        problems = password_problems(form.password.data, _password_inputs(contact, tenant))
        if not problems:
            invited = contact.portal_password_hash is None
            contact.portal_password_hash = hash_password(form.password.data)
            sessions.end_all("contact", contact.id, SessionEndReason.PASSWORD_CHANGED)
            record_security_event(
                contact,
                SecurityAction.PASSWORD_SET_FROM_INVITE if invited else SecurityAction.PASSWORD_RESET,
            )
            response = _start_portal_session(contact, _invoices_url(tenant))
            flash("Your password is set. Welcome!", "info")
            return response
        form.password.errors = [*form.password.errors, *problems]
    return render_form("portal/accounts/set_password.html", form, tenant=tenant, contact=contact, token=token)


@bp.route("/account/password", methods=["GET", "POST"])
@portal_login_required
@limits.limit_failed_attempts(limits.FAILED_PASSWORD_CHANGES_PER_IP, limits.ip_key)
def change_password(tenant_slug: str) -> FormPage:
    tenant = portal_tenant()
    contact = signed_in_contact()
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not verify_password(contact.portal_password_hash, form.current_password.data):
            limits.mark_failed_attempt()
            form.current_password.errors = ["That is not your current password."]
        elif problems := password_problems(form.password.data, _password_inputs(contact, tenant)):
            form.password.errors = problems
        else:
            contact.portal_password_hash = hash_password(form.password.data)
            record_security_event(contact, SecurityAction.PASSWORD_CHANGED)
            refresh_identity()
            flash("Your password is changed. Any other signed-in devices were signed out.", "info")
            return redirect(_invoices_url(tenant))
    return render_form("portal/accounts/change_password.html", form, tenant=tenant)


account_security_routes.register(bp, PORTAL, portal_login_required)
