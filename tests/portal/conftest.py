"""Portal test helpers: a client with portal access, sign-in through the real form, and a query counter."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient

from app.extensions import db
from models import Contact, Tenant
from tests.factories import PASSWORD, ContactFactory, PartyFactory, TenantFactory
from tests.query_count import count_queries  # noqa: F401 - re-exported for the portal tests


@dataclass
class PortalWorld:
    tenant: Tenant
    client_contact: Contact
    neighbour: Contact
    other_tenant: Tenant
    other_tenant_contact: Contact


@pytest.fixture
def world() -> PortalWorld:
    """Two clients of one breeder, and a client of another breeder who uses the same e-mail."""
    tenant = TenantFactory(slug="sunny", name="Sunny Kennels")
    client_contact = ContactFactory(party=PartyFactory(tenant=tenant, email="client@example.test"))
    neighbour = ContactFactory(party=PartyFactory(tenant=tenant))
    other_tenant = TenantFactory(slug="river", name="River Stables")
    other_tenant_contact = ContactFactory(
        party=PartyFactory(tenant=other_tenant, email="client@example.test")
    )
    db.session.flush()
    return PortalWorld(tenant, client_contact, neighbour, other_tenant, other_tenant_contact)


@pytest.fixture
def portal_login(client: FlaskClient, csrf: Callable[..., str]):
    """portal_login(slug, email, password=PASSWORD, **extra) -> the response of the real sign-in form."""

    def post(slug: str, email: str, password: str = PASSWORD, **extra: str):
        token = csrf()
        return client.post(
            f"/portal/{slug}/login", data={"email": email, "password": password, "csrf_token": token, **extra}
        )

    return post
