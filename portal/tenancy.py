"""The tenant of a portal request, bound from the URL's slug before any view runs.

From then on every ORM query of a TenantOwned model sees that tenant only (models.scoping), and so does any SQL at
all (row-level security, revision 0022), whoever is signed in: the sign-in form's contact lookup, the set-password
link, the invoice lists. A contact signed in at one breeder's portal is a stranger at every other breeder's portal
(portal.access).
"""

from __future__ import annotations

from flask import abort, g, request
from flask_login import current_user
from sqlalchemy import bindparam, inspect, select

from app.extensions import db
from models import Tenant
from models.scoping import bind_tenant, prebuilt, unbind_tenant

_TENANT_BY_SLUG = prebuilt(select(Tenant).where(Tenant.slug == bindparam("slug")))


def _signed_in_contacts_tenant(slug: str) -> Tenant | None:
    """The signed-in contact's breeder, read with their session (app.auth), when it is this portal's. Only as
    loaded: after a commit (the session's touch) they are expired, and reloading the contact here would run
    outside any tenant, where row-level security shows no contact."""
    contact = current_user.contact if current_user.is_authenticated else None
    tenant = inspect(contact).dict.get("tenant") if contact is not None else None
    if tenant is not None and inspect(tenant).dict.get("slug") == slug:
        return tenant
    return None


def tenant_from_slug(slug: str) -> Tenant:
    tenant = _signed_in_contacts_tenant(slug) or db.session.execute(_TENANT_BY_SLUG, {"slug": slug}).scalar()
    if tenant is None:
        abort(404)
    return tenant


def portal_tenant() -> Tenant:
    return g.portal_tenant


def enter_tenant() -> None:
    """before_request: an unknown slug is a 404 before the view runs."""
    tenant = tenant_from_slug((request.view_args or {}).get("tenant_slug", ""))
    g.portal_tenant = tenant
    g.portal_tenant_binding = bind_tenant(tenant.id)


def leave_tenant(_error: BaseException | None) -> None:
    """teardown_request: the tenant never outlives its request, even when the view failed."""
    binding = g.pop("portal_tenant_binding", None)
    if binding is not None:
        unbind_tenant(binding)
