"""Both faces' security pages under one set of tests: a `side` is the portal (a contact of tenant "sunny") or the
marketplace (a user), with its URLs, its account and sign-in through the real form."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from models import Contact, MarketplaceUser, TwoFactorCredential
from models.types import utcnow
from tests.conftest import FreshContextClient, csrf_token_from
from tests.factories import PASSWORD, ContactFactory, MarketplaceUserFactory, PartyFactory, TenantFactory

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@dataclass
class Side:
    kind: str
    prefix: str
    account: Contact | MarketplaceUser
    stranger: Contact | MarketplaceUser  # another account of the same face

    def url(self, path: str) -> str:
        return f"{self.prefix}{path}"

    @property
    def email(self) -> str:
        return str(self.account.email)


def portal_side() -> Side:
    tenant = TenantFactory(slug="sunny", name="Sunny Kennels")
    account = ContactFactory(party=PartyFactory(tenant=tenant, email="client@example.test"))
    stranger = ContactFactory(party=PartyFactory(tenant=tenant, email="neighbour@example.test"))
    db.session.flush()
    return Side("contact", "/portal/sunny", account, stranger)


def marketplace_side() -> Side:
    account = MarketplaceUserFactory(email="buyer@example.test")
    stranger = MarketplaceUserFactory(email="stranger@example.test")
    db.session.flush()
    return Side("marketplace", "", account, stranger)


@pytest.fixture(params=["portal", "marketplace"])
def side(request: pytest.FixtureRequest) -> Side:
    return portal_side() if request.param == "portal" else marketplace_side()


@pytest.fixture
def new_client(app: Flask):
    """new_client() -> another browser: its own cookies, a fresh app context per request."""

    def make() -> FlaskClient:
        app.test_client_class = FreshContextClient
        try:
            return app.test_client()
        finally:
            app.test_client_class = None

    return make


def post_form(client: FlaskClient, page: str, data: dict[str, str], action: str | None = None):
    """Open `page` as a browser would (for its CSRF token), then post `data` to `action` (default: the page)."""
    token = csrf_token_from(client.get(page).get_data(as_text=True))
    return client.post(action or page, data={"csrf_token": token, **data})


def sign_in_with_password(
    client: FlaskClient, side: Side, password: str = PASSWORD, email: str | None = None
):
    return post_form(client, side.url("/login"), {"email": email or side.email, "password": password})


def copy_cookies(source: FlaskClient, target: FlaskClient, app: Flask) -> None:
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = source.get_cookie(name)
    assert cookie is not None
    target.set_cookie(name, cookie.value)


def enrol(account: Contact | MarketplaceUser, secret: str = SECRET) -> TwoFactorCredential:
    owner = (
        {"contact_id": account.id} if isinstance(account, Contact) else {"marketplace_user_id": account.id}
    )
    credential = TwoFactorCredential(secret=secret, enabled_at=utcnow(), **owner)
    db.session.add(credential)
    db.session.flush()
    return credential


def code_at(offset_steps: int = 0, secret: str = SECRET) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * offset_steps)
