"""The fuzz suite's world: the demo data (every kind of row a page can show), and the four faces that send.

Every test here carries the `fuzz` marker (`pytest -m fuzz` runs only them; `make test` runs them too)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, text

from app.extensions import db
from models import Contact, MarketplaceUser, Tenant
from tests.conftest import csrf_token_from

# The seller first: the face that reaches the most routes sends them the whole corpus.
FACES = ("marketplace-seller", "marketplace-buyer", "portal-contact", "anonymous")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/fuzz/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.fuzz)


@pytest.fixture
def demo_world(uploads) -> None:
    """The demo data without its photos, inside the test's transaction (rolled back with it)."""
    from demo import seed_demo

    seed_demo(photos=False)
    db.session.commit()


def _person(face: str) -> Contact | MarketplaceUser | None:
    if face == "portal-contact":
        return db.session.scalars(
            select(Contact)
            .join(Tenant, Tenant.id == Contact.tenant_id)
            .where(Tenant.slug == "sunny-acres", Contact.email == "client@example.com")
            .execution_options(all_tenants=True)
        ).one()
    if face.startswith("marketplace-"):
        email = {"marketplace-buyer": "buyer@example.com", "marketplace-seller": "seller@example.com"}[face]
        return db.session.scalars(select(MarketplaceUser).where(MarketplaceUser.email == email)).one()
    return None


@dataclass
class Face:
    """One person sending requests: `begin()` signs them in again (or starts an anonymous session) and takes a
    CSRF token from a page, as a browser would; `token` goes with every form."""

    name: str
    client: FlaskClient
    sign_in: Callable[[object], None]
    person: Contact | MarketplaceUser | None
    token: str = ""

    def begin(self) -> None:
        if self.person is None:
            with self.client.session_transaction() as session:
                session.clear()
        else:
            self.sign_in(self.person)
        # Signed out, the public pages carry no token (app/public_pages.py): take it from the sign-in page.
        page = "/" if self.person is not None else "/login"
        self.token = csrf_token_from(self.client.get(page).get_data(as_text=True))


@pytest.fixture
def face_of(client: FlaskClient, login_as, demo_world) -> Callable[[str], Face]:
    def make(name: str) -> Face:
        face = Face(name, client, login_as, _person(name))
        face.begin()
        return face

    return make


def table_counts() -> dict[str, int]:
    """Rows in every table of the schema, in one statement (exact counts, on the test's own connection)."""
    tables = db.session.scalars(
        text(
            "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = current_schema() "
            "AND tablename <> 'alembic_version' ORDER BY tablename"
        )
    ).all()
    counts = ", ".join(f"(SELECT count(*) FROM {table}) AS c{number}" for number, table in enumerate(tables))
    row = db.session.execute(text(f"SELECT {counts}")).one()
    return dict(zip(tables, row, strict=True))
