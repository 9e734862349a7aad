"""Who may do what in the marketplace: a signed-in marketplace user, and a provider for the dashboard."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Response, abort, flash, redirect, request, url_for
from flask_login import current_user

from app.extensions import htmx
from models import MarketplaceUser

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


def marketplace_login_required(view: F) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if signed_in_marketplace_user_or_none() is None:
            # Come back here after signing in, unless "here" is a form post or a page fragment.
            come_back = request.method == "GET" and not htmx
            login_url = url_for(
                "marketplace.login", next=request.full_path.rstrip("?") if come_back else None
            )
            if htmx:  # a poll or fragment request: send the whole page to sign in, not a form into a slot
                return Response(status=204, headers={"HX-Redirect": login_url})
            flash("Please sign in to the marketplace to continue.", "info")
            return redirect(login_url)
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
