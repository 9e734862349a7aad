"""Portal test helpers: a client with portal access, sign-in through the real form, and a query counter."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event

from app.extensions import db
from models import Contact, Tenant
from tests.factories import PASSWORD, ContactFactory, PartyFactory, TenantFactory

TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


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


@contextmanager
def count_queries() -> Iterator[list[str]]:
    """Statements sent to PostgreSQL inside the block (the test harness's SAVEPOINTs are not counted)."""
    statements: list[str] = []
    target = db.engines[None]

    def record(_conn, _cursor, statement: str, *_args: object) -> None:
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            statements.append(statement)

    event.listen(target, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(target, "before_cursor_execute", record)
