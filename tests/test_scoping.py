"""Soft delete and tenant scope are enforced centrally, with explicit opt-outs."""

import pytest
from sqlalchemy import bindparam, exists, func, inspect, lateral, literal, select, true
from sqlalchemy.orm import aliased

from app.extensions import db
from models import (
    ALL_TENANTS,
    INCLUDE_DELETED,
    Base,
    Contact,
    Invoice,
    MarketplaceUser,
    Party,
    Payment,
    ProviderStats,
    ServiceListing,
    SoftDelete,
    TenantOwned,
    cross_tenant,
    tenant_scope,
)
from models.scoping import needs_orm_criteria, prebuilt
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


# ---- which statements need the ORM's criteria (needs_orm_criteria) -------------------------------------------

SCOPED_MODELS = sorted(
    (
        mapper.class_
        for mapper in Base.registry.mappers
        if issubclass(mapper.class_, (SoftDelete, TenantOwned))
    ),
    key=lambda model: model.__name__,
)
UNSCOPED_MODELS = [ServiceListing, MarketplaceUser, ProviderStats]


def _key(entity):
    """The entity's (or its alias's) first primary-key attribute, to select and join on."""
    mapper = inspect(entity).mapper
    return getattr(entity, mapper.get_property_by_column(mapper.primary_key[0]).key)


def _found_ids(model):
    return select(_key(model).label("id"))


def _joined_through_aliased(model):
    other = aliased(model, name="other")
    return select(ServiceListing.id).join(other, _key(other) == ServiceListing.id)


def _cte_inside_exists(model):
    found = _found_ids(model).cte("found")
    return select(ServiceListing.id).where(exists(select(found.c.id).where(found.c.id == ServiceListing.id)))


def _three_subqueries_deep(model):
    highest = select(func.max(_key(model))).scalar_subquery()
    providers = select(ServiceListing.provider_user_id).where(
        exists(select(literal(1)).where(ServiceListing.price_cents < highest))
    )
    return select(ServiceListing.id).where(ServiceListing.id.in_(providers))


# Each way a statement of ServiceListing can read another table: `model` is that table's class.
NESTINGS = {
    "selected": lambda model: select(_key(model)),
    "selected as an entity": lambda model: select(model),
    "joined": lambda model: select(ServiceListing.id).join(model, _key(model) == ServiceListing.id),
    "outer joined": lambda model: select(ServiceListing.id).outerjoin(
        model, _key(model) == ServiceListing.id
    ),
    "in a WHERE without a join": lambda model: select(ServiceListing.id).where(
        _key(model) == ServiceListing.id
    ),
    "in an IN subquery": lambda model: select(ServiceListing.id).where(
        ServiceListing.id.in_(select(_key(model)))
    ),
    "in EXISTS": lambda model: select(ServiceListing.id).where(
        exists().where(_key(model) == ServiceListing.id)
    ),
    "in NOT EXISTS": lambda model: select(ServiceListing.id).where(
        ~exists().where(_key(model) == ServiceListing.id)
    ),
    "through aliased()": _joined_through_aliased,
    "through a table alias": lambda model: select(model.__table__.alias("other").c[_key(model).key]),
    "in a scalar subquery column": lambda model: select(
        ServiceListing.id, select(func.count(_key(model))).scalar_subquery()
    ),
    "in a scalar subquery condition": lambda model: select(ServiceListing.id).where(
        ServiceListing.id < select(func.max(_key(model))).scalar_subquery()
    ),
    "in a FROM subquery": lambda model: select(_found_ids(model).subquery("inner").c.id),
    "in a CTE": lambda model: select(_found_ids(model).cte("found").c.id),
    "in a CTE inside EXISTS": _cte_inside_exists,
    "in a LATERAL subquery": lambda model: select(ServiceListing.id).join(
        lateral(select(_key(model)).where(_key(model) == ServiceListing.id)), true()
    ),
    "in a UNION's second branch": lambda model: select(ServiceListing.id).union_all(select(_key(model))),
    "three subqueries deep": _three_subqueries_deep,
}


@pytest.mark.parametrize("model", SCOPED_MODELS, ids=lambda model: model.__name__)
@pytest.mark.parametrize("nesting", NESTINGS.values(), ids=NESTINGS.keys())
def test_a_statement_reading_a_soft_deleted_or_tenant_owned_table_anywhere_needs_the_orms_criteria(
    nesting, model
):
    assert needs_orm_criteria(nesting(model)) is True


@pytest.mark.parametrize("model", UNSCOPED_MODELS, ids=lambda model: model.__name__)
@pytest.mark.parametrize("nesting", NESTINGS.values(), ids=NESTINGS.keys())
def test_a_statement_reading_only_unscoped_tables_anywhere_needs_no_orm_criteria(nesting, model):
    assert needs_orm_criteria(nesting(model)) is False


def test_the_scoped_models_include_the_soft_deleted_and_the_tenant_owned_ones():
    assert {Invoice, Contact, Party, Payment} <= set(SCOPED_MODELS)


def test_a_listing_statement_with_its_provider_and_stats_needs_no_orm_criteria():
    statement = (
        select(ServiceListing.id, MarketplaceUser.first_name, ProviderStats.review_count)
        .join(MarketplaceUser, MarketplaceUser.id == ServiceListing.provider_user_id)
        .outerjoin(ProviderStats, ProviderStats.provider_user_id == ServiceListing.provider_user_id)
        .where(~exists().where(MarketplaceUser.id == ServiceListing.provider_user_id))
    )
    assert needs_orm_criteria(statement) is False
    assert needs_orm_criteria(statement.where(ServiceListing.id.in_(select(Contact.party_id)))) is True
