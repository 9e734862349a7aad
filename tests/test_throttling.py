"""Page views never meet a rate limit (app/throttling.py): the limiter skips GET, HEAD and OPTIONS before finding
an endpoint's limits, which is safe only while every limit counts unsafe methods alone; a POST is still counted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from flask_limiter import Limit

from app.extensions import limiter
from app.throttling import UNLIMITED_METHODS, _reads_are_unlimited
from marketplace import limits as marketplace_limits

READ_METHODS = {method.lower() for method in UNLIMITED_METHODS}
REGISTER_ALLOWANCE = int(marketplace_limits.REGISTER_PER_IP.split()[0])


def _every_limit() -> list[tuple[str, Limit]]:
    """Each limit the limiter holds, with where it applies: decorated views, blueprints, defaults, the app, meta."""
    manager = limiter.limit_manager
    found = [(name, limit) for name, limits in manager._decorated_limits.items() for limit in limits]
    found += [
        (f"blueprint {name}", limit) for name, limits in manager._blueprint_limits.items() for limit in limits
    ]
    found += [("default", limit) for limit in manager._default_limits]
    found += [("application", limit) for limit in manager._application_limits]
    found += [("meta", limit) for limit in limiter._meta_limits]
    return found


def test_every_limit_counts_only_methods_that_change_something(app):
    every = _every_limit()
    names = {name for name, _limit in every}
    # The registry really is read: the sign-in, registration and pay limits are all in it.
    assert len(every) >= 15, names
    assert {
        "marketplace.accounts.routes.login.login",
        "marketplace.accounts.routes.register.register",
    } <= names, names
    reading = [
        (name, limit.limit_provider, limit.methods)
        for name, limit in every
        if limit.methods is None or READ_METHODS & set(limit.methods)
    ]
    assert reading == []


def test_the_limiter_skips_page_views_through_its_request_filter(app):
    assert _reads_are_unlimited in limiter._request_filters


@pytest.fixture
def resolved_limits(monkeypatch) -> Iterator[list[str]]:
    """Each time the limiter looks up an endpoint's limits (the per-request work the filter saves)."""
    looked_up: list[str] = []
    resolve = limiter.limit_manager.resolve_limits

    def noted(*args, **kwargs):
        looked_up.append("resolve")
        return resolve(*args, **kwargs)

    monkeypatch.setattr(limiter.limit_manager, "resolve_limits", noted)
    yield looked_up


@pytest.mark.parametrize("method", sorted(UNLIMITED_METHODS))
def test_a_page_view_never_looks_up_its_limits(client: FlaskClient, resolved_limits, method):
    assert client.open("/register", method=method).status_code == 200
    assert resolved_limits == []


def _spend_the_register_allowance(client: FlaskClient, token: str) -> list[int]:
    # An empty form: refused by validation, still counted by the per-address limit.
    return [
        client.post("/register", data={"csrf_token": token}).status_code
        for _ in range(REGISTER_ALLOWANCE + 1)
    ]


def test_a_post_is_still_limited_and_a_page_view_of_the_same_route_is_not(
    client: FlaskClient, csrf, resolved_limits
):
    statuses = _spend_the_register_allowance(client, csrf("/register"))

    assert 429 not in statuses[:REGISTER_ALLOWANCE]
    assert statuses[REGISTER_ALLOWANCE] == 429
    assert resolved_limits  # a POST is looked up and counted
    for method in sorted(UNLIMITED_METHODS):
        assert client.open("/register", method=method).status_code == 200, method
    assert client.post("/register", data={"csrf_token": csrf("/register")}).status_code == 429
