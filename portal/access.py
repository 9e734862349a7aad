"""Who is signed in to this breeder's portal, and the guard for pages that need a signed-in client."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import abort, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.redirects import safe_next
from models import Contact
from portal.tenancy import portal_tenant

P = ParamSpec("P")
R = TypeVar("R")


def signed_in_contact_or_none() -> Contact | None:
    """The contact signed in to *this* tenant's portal, or None (signed out, or a client of another breeder)."""
    contact = current_user.contact if current_user.is_authenticated else None
    if contact is None or contact.tenant_id != portal_tenant().id:
        return None
    return contact


def signed_in_contact() -> Contact:
    """The contact signed in to this portal; only inside a view wrapped by portal_login_required."""
    contact = signed_in_contact_or_none()
    if contact is None:
        abort(401)
    return contact


def portal_safe_next(target: str | None, tenant_slug: str) -> str | None:
    """`target` when it is a path inside this tenant's portal; None for anything else (no open redirects)."""
    return safe_next(target, inside=f"/portal/{tenant_slug}/")


def portal_login_required(view: Callable[P, R]) -> Callable[P, R | Response]:
    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R | Response:
        if signed_in_contact_or_none() is None:
            slug = portal_tenant().slug
            next_path = request.full_path if request.query_string else request.path
            return redirect(url_for("portal.login", tenant_slug=slug, next=portal_safe_next(next_path, slug)))
        return view(*args, **kwargs)

    return wrapped
