"""Who may do what in the marketplace: a signed-in marketplace user, a provider for the dashboard, and a provider
with a verified breeder (tenant) for sales."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar

from flask import Response, abort, flash, g, has_app_context, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import bindparam

from app.auth import LINKED_BREEDERS, LINKED_TENANT_IDS, linked_tenants
from app.extensions import db, htmx
from models import MarketplaceUser, cross_tenant, linked_tenants_scope, tenant_scope
from models.scoping import prebuilt

F = TypeVar("F", bound=Callable[..., Any])


def signed_in_marketplace_user_or_none() -> MarketplaceUser | None:
    """The marketplace user of this session, or None (signed out, or signed in to a portal instead)."""
    if current_user.is_authenticated and current_user.kind == "marketplace":
        return current_user.marketplace_user
    return None


def signed_in_marketplace_user() -> MarketplaceUser:
    """The marketplace user of this session; only inside a view wrapped by marketplace_login_required."""
    user = signed_in_marketplace_user_or_none()
    if user is None:
        abort(401)
    return user


# The signed-in user's are read with their session (app.auth); this lookup is for anyone else, or after a link.
_LINKED_TENANT_IDS = prebuilt(linked_tenants(bindparam("user_id")))


def linked_tenant_ids(user_id: int) -> tuple[int, ...]:
    """The breeders where this user has a client record; read once per request."""
    known: dict[int, tuple[int, ...]] = g.setdefault(LINKED_TENANT_IDS, {})
    if user_id not in known:
        with cross_tenant(LINKED_BREEDERS):
            known[user_id] = tuple(db.session.scalars(_LINKED_TENANT_IDS, {"user_id": user_id}))
    return known[user_id]


def forget_linked_tenant_ids(user_id: int) -> None:
    """A client record of this user was linked (or unlinked): the next linked_tenant_ids() reads them again."""
    if has_app_context():
        g.get(LINKED_TENANT_IDS, {}).pop(user_id, None)


@contextmanager
def marketplace_user_scope(user_id: int) -> Iterator[None]:
    """Inside, the database shows this user's breeders' rows (read only: their invoices) and the sales they are
    party to, and nothing else of any breeder (models.scoping, revision 0022)."""
    with linked_tenants_scope(linked_tenant_ids(user_id), marketplace_user_id=user_id):
        yield


def marketplace_login_required(view: F) -> F:
    """A signed-in marketplace user; the view runs in marketplace_user_scope."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        user = signed_in_marketplace_user_or_none()
        if user is None:
            # Come back here after signing in, unless "here" is a form post or a page fragment.
            come_back = request.method == "GET" and not htmx
            login_url = url_for(
                "marketplace.login", next=request.full_path.rstrip("?") if come_back else None
            )
            if htmx:  # a poll or fragment request: send the whole page to sign in, not a form into a slot
                return Response(status=204, headers={"HX-Redirect": login_url})
            flash("Please sign in to the marketplace to continue.", "info")
            return redirect(login_url)
        with marketplace_user_scope(user.id):
            return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def provider_required(view: F) -> F:
    @marketplace_login_required
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not signed_in_marketplace_user().is_provider:
            abort(403)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


# --- sellers who may record sales ----------------------------------------------------------------------------

NO_TENANT = "no_tenant"
NOT_VERIFIED = "not_verified"
SELLER_NOT_READY_TEMPLATE = "marketplace/sales/not_ready.html"


def seller_missing(user: MarketplaceUser) -> str | None:
    """What keeps this user from recording sales: NO_TENANT, NOT_VERIFIED, or None when nothing does.

    A provider records sales for the breeder (tenant) their account is linked to, once that link is verified."""
    if user.tenant_id is None:
        return NO_TENANT
    if not user.tenant_verified:
        return NOT_VERIFIED
    return None


def records_sales_in(seller_user_id: int, user: MarketplaceUser) -> bool:
    """The conversation's seller (seller_user_id), a provider: the one person who may record a sale in it (once
    linked to a verified breeder, and while it is not blocked)."""
    return user.id == seller_user_id and user.is_provider


def seller_not_ready(missing: str) -> tuple[str, int]:
    """The sales page saying what is missing and whom to ask: 200 to read, 403 for anything sent."""
    status = 200 if request.method in ("GET", "HEAD") else 403
    return render_template(SELLER_NOT_READY_TEMPLATE, missing=missing), status


def seller_with_tenant_required(view: F) -> F:
    """A provider linked to a breeder, verified. The view runs with that tenant bound (models.scoping), so
    Party, Contact and Invoice queries see that breeder's rows only. Anyone else gets the page that explains
    what is missing; a POST is refused with 403 before the view runs, so nothing is recorded."""

    @provider_required
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        user = signed_in_marketplace_user()
        missing = seller_missing(user)
        if missing is not None:
            return seller_not_ready(missing)
        assert user.tenant_id is not None
        with tenant_scope(user.tenant_id):
            return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]
