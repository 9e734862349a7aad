"""record_audit: who did what, written with the caller's transaction; history is never rewritten."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from models import AuditEvent, record_audit, tenant_scope
from models.types import utcnow
from tests.factories import MarketplaceUserFactory, TenantFactory


def _record(**fields) -> AuditEvent:
    values = {
        "actor_kind": "marketplace_user",
        "actor_id": 7,
        "action": "sale.recorded",
        "subject_table": "MarketplaceTransaction",
        "subject_id": 42,
        "tenant_id": None,
    } | fields
    return record_audit(db.session, **values)


def test_record_audit_writes_an_event_with_the_databases_utc_time():
    tenant = TenantFactory()
    event = _record(
        tenant_id=tenant.id,
        before={"status": "pending"},
        after={"status": "completed", "amount_cents": 9_223_372_036_854_775_807},
    )
    db.session.flush()

    assert event.id is not None
    assert abs(event.occurred_at - utcnow()) < timedelta(minutes=5)
    db.session.expire_all()
    stored = db.session.get(AuditEvent, event.id)
    assert (stored.actor_kind, stored.actor_id, stored.action) == ("marketplace_user", 7, "sale.recorded")
    assert (stored.subject_table, stored.subject_id, stored.tenant_id) == (
        "MarketplaceTransaction",
        42,
        tenant.id,
    )
    assert stored.before == {"status": "pending"}
    assert stored.after == {"status": "completed", "amount_cents": 9_223_372_036_854_775_807}


def test_nothing_recorded_before_is_sql_null_not_json_null():
    event = _record(actor_kind="system", actor_id=None)
    db.session.flush()
    assert db.session.execute(
        text('SELECT before IS NULL, after IS NULL FROM "AuditEvent" WHERE id = :id'), {"id": event.id}
    ).one() == (True, True)


def test_record_audit_refuses_an_unknown_actor_kind():
    with pytest.raises(ValueError, match="actor_kind must be one of contact, marketplace_user, system, cli"):
        _record(actor_kind="admin")


def test_inside_a_tenant_context_the_database_shows_that_tenants_events_only():
    """AuditEvent is not TenantOwned (the ORM hook adds nothing), but row-level security (revision 0022) shows a
    tenant's context its own events only: not another tenant's, nor the marketplace's tenant-less ones."""
    mine, theirs = TenantFactory(), TenantFactory()
    own = _record(tenant_id=mine.id)
    tenantless = _record(tenant_id=None)
    _record(tenant_id=theirs.id)
    db.session.flush()
    assert (
        len({event.id for event in db.session.scalars(select(AuditEvent))}) >= 3
    )  # all there (the test's scope)
    with tenant_scope(mine.id):
        assert {event.id for event in db.session.scalars(select(AuditEvent))} == {own.id}
    with tenant_scope(theirs.id):
        assert tenantless.id not in {event.id for event in db.session.scalars(select(AuditEvent))}


@pytest.mark.parametrize("change", ["update", "delete"])
def test_the_orm_cannot_rewrite_history(change):
    user = MarketplaceUserFactory()
    event = _record(subject_table="MarketplaceUser", subject_id=user.id)
    db.session.flush()

    with pytest.raises(IntegrityError, match="append-only"), db.session.begin_nested():
        if change == "update":
            event.action = "sale.forgotten"
        else:
            db.session.delete(event)
        db.session.flush()
    db.session.expire_all()
    assert db.session.get(AuditEvent, event.id).action == "sale.recorded"
