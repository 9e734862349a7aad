"""The portal binds its tenant from the URL before any view runs, so even a query that forgets the tenant
sees one breeder's rows only, for signed-out visitors as much as for signed-in clients."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from app.extensions import db
from models import Contact, Invoice, Party, current_tenant_id
from tests.factories import InvoiceFactory
from tests.portal.conftest import PortalWorld


def _unfiltered_rows(app: Flask, path: str) -> tuple[int | None, set[int], set[int]]:
    """Run the portal's before-request hooks for `path`, then query with no tenant criterion at all."""
    with app.test_request_context(path):
        app.preprocess_request()
        tenant_id = current_tenant_id()
        party_tenants = set(db.session.scalars(select(Party.tenant_id)))
        contact_tenants = set(db.session.scalars(select(Contact.tenant_id)))
    return tenant_id, party_tenants, contact_tenants


def test_a_portal_query_without_a_tenant_filter_sees_only_the_urls_tenant(app: Flask, world: PortalWorld):
    tenant_id, party_tenants, contact_tenants = _unfiltered_rows(app, "/portal/sunny/login")

    assert tenant_id == world.tenant.id
    assert party_tenants == {world.tenant.id}
    assert contact_tenants == {world.tenant.id}


def test_the_other_portal_sees_only_its_own_tenant(app: Flask, world: PortalWorld):
    tenant_id, party_tenants, contact_tenants = _unfiltered_rows(app, "/portal/river/forgot-password")

    assert tenant_id == world.other_tenant.id
    assert party_tenants == contact_tenants == {world.other_tenant.id}


def test_invoices_of_another_tenant_stay_out_of_an_unfiltered_invoice_query(app: Flask, world: PortalWorld):
    mine = InvoiceFactory(tenant=world.tenant, client_party=world.client_contact.party)
    theirs = InvoiceFactory(tenant=world.other_tenant, client_party=world.other_tenant_contact.party)
    db.session.flush()

    with app.test_request_context("/portal/sunny/invoices"):
        app.preprocess_request()
        seen = set(db.session.scalars(select(Invoice.id)))

    assert mine.id in seen
    assert theirs.id not in seen


def test_the_tenant_is_unbound_once_the_request_ends(client, world: PortalWorld):
    client.get("/portal/sunny/login")

    assert current_tenant_id() is None
