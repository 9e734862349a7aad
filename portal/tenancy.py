"""The tenant of a portal request.

The URL slug names the portal; the data a request may see comes from the signed-in contact's own tenant.
A contact signed in at one breeder's portal is a stranger at every other breeder's portal.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar
from urllib.parse import urlsplit

from flask import g, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.extensions import db
from app.redirects import local_path_or_none
from models import Contact, Tenant
from models.scoping import set_tenant
from portal import bp

P = ParamSpec("P")
R = TypeVar("R")


def tenant_from_slug(slug: str) -> Tenant:
    return db.first_or_404(select(Tenant).where(Tenant.slug == slug))


def portal_tenant() -> Tenant:
    return g.portal_tenant


def portal_contact() -> Contact | None:
    """The contact signed in to *this* tenant's portal, or None."""
    return g.get("portal_contact")


def signed_in_contact() -> Contact:
    contact = portal_contact()
    if contact is None:  # pragma: no cover - guarded by portal_login_required
        raise LookupError("no contact is signed in to this portal")
    return contact


@bp.before_request
def enter_tenant() -> None:
    slug = (request.view_args or {}).get("tenant_slug", "")
    tenant = tenant_from_slug(slug)
    g.portal_tenant = tenant
    g.portal_contact = None
    contact = current_user.contact if current_user.is_authenticated else None
    if contact is not None and contact.tenant_id == tenant.id:
        g.portal_contact = contact
        set_tenant(contact.tenant_id)


@bp.teardown_request
def leave_tenant(_error: BaseException | None) -> None:
    set_tenant(None)


def safe_next(target: str | None, tenant_slug: str) -> str | None:
    """`target` when it is a path inside this tenant's portal; None for anything else (no open redirects)."""
    target = local_path_or_none(target)
    if target is None or not urlsplit(target).path.startswith(f"/portal/{tenant_slug}/"):
        return None
    return target


def portal_login_required(view: Callable[P, R]) -> Callable[P, R | Response]:
    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R | Response:
        if portal_contact() is None:
            slug = portal_tenant().slug
            next_path = request.full_path if request.query_string else request.path
            return redirect(url_for("portal.login", tenant_slug=slug, next=safe_next(next_path, slug)))
        return view(*args, **kwargs)

    return wrapped
