"""Soft delete and tenant scope are enforced centrally, with explicit opt-outs."""

from sqlalchemy import bindparam, select

from app.extensions import db
from models import ALL_TENANTS, INCLUDE_DELETED, Contact, Invoice, cross_tenant, tenant_scope
from models.scoping import prebuilt
from tests.factories import ContactFactory, InvoiceFactory


def test_soft_deleted_invoice_is_invisible_to_ordinary_queries():
    kept = InvoiceFactory()
    gone = InvoiceFactory(client_party=kept.client_party)
    gone.soft_delete()
    db.session.flush()

    ids = set(db.session.scalars(select(Invoice.id)))
    assert kept.id in ids
    assert gone.id not in ids
    assert db.session.scalars(select(Invoice).where(Invoice.id == gone.id)).first() is None


def test_soft_deleted_invoice_is_visible_through_the_opt_out():
    gone = InvoiceFactory()
    gone.soft_delete()
    db.session.flush()

    found = db.session.scalars(
        select(Invoice).where(Invoice.id == gone.id).execution_options(**{INCLUDE_DELETED: True})
    ).one()
    assert found.deleted_at is not None


def test_soft_deleted_contact_is_hidden_and_recoverable_through_the_opt_out():
    contact = ContactFactory()
    contact.soft_delete()
    db.session.flush()
    db.session.expunge_all()

    assert db.session.scalars(select(Contact).where(Contact.id == contact.id)).first() is None
    assert db.session.scalars(
        select(Contact).where(Contact.id == contact.id).execution_options(**{INCLUDE_DELETED: True})
    ).one()


def test_tenant_scope_hides_other_tenants_rows_and_only_cross_tenant_shows_them():
    mine = InvoiceFactory()
    theirs = InvoiceFactory()
    db.session.flush()

    with tenant_scope(mine.tenant_id):
        visible = set(db.session.scalars(select(Invoice.id)))
        # The statement opt-out drops the ORM's criterion; row-level security still holds to the tenant.
        opted_out = set(db.session.scalars(select(Invoice.id).execution_options(**{ALL_TENANTS: True})))
    with cross_tenant("a test comparing two tenants"):
        everything = set(db.session.scalars(select(Invoice.id)))
    assert mine.id in visible
    assert theirs.id not in visible
    assert theirs.id not in opted_out
    assert {mine.id, theirs.id} <= everything


def test_a_prebuilt_statement_is_scoped_by_the_scope_of_each_execution():
    mine = InvoiceFactory()
    theirs = InvoiceFactory()
    gone = InvoiceFactory(client_party=mine.client_party)
    gone.soft_delete()
    db.session.flush()
    # Built once, run under one tenant, another, then the first again: each run sees its own tenant's rows.
    statement = prebuilt(select(Invoice.id).where(Invoice.id.in_(bindparam("ids", expanding=True))))
    ids = {"ids": [mine.id, theirs.id, gone.id]}

    seen = []
    for tenant_id in (mine.tenant_id, theirs.tenant_id, mine.tenant_id):
        with tenant_scope(tenant_id):
            seen.append(set(db.session.scalars(statement, ids)))
    with cross_tenant("a test comparing two tenants"):
        everything = set(db.session.scalars(statement, ids))
    assert seen == [{mine.id}, {theirs.id}, {mine.id}]
    assert everything == {mine.id, theirs.id}  # and never the soft-deleted one


def test_tenant_scope_applies_to_joined_entities():
    mine = ContactFactory()
    theirs = ContactFactory()
    InvoiceFactory(client_party=mine.party)
    InvoiceFactory(client_party=theirs.party)
    db.session.flush()

    with tenant_scope(theirs.tenant_id):
        rows = db.session.execute(
            select(Invoice.id, Contact.id).join(Contact, Contact.party_id == Invoice.client_party_id)
        ).all()
    assert {contact_id for _, contact_id in rows} == {theirs.id}
