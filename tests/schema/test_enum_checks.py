"""The CHECK constraints generated from the status enums are the ones the migrations created, text for text."""

from __future__ import annotations

import pytest
from sqlalchemy import CheckConstraint

from models import Base, InvoiceStatus, PriceType
from models.types import check_in


def _enum_checks() -> list[tuple[str, str, str]]:
    """(table, constraint name, generated SQL) of every CHECK the models generate with check_in. Sorted: a table's
    constraints are a set, and pytest-xdist's workers must collect the parametrized tests in one order."""
    return [
        (table.name, str(constraint.name), str(constraint.sqltext))
        for table in Base.metadata.sorted_tables
        for constraint in sorted(table.constraints, key=lambda constraint: str(constraint.name))
        if isinstance(constraint, CheckConstraint) and "allowed" in constraint.info
    ]


def test_check_in_writes_the_specs_text():
    assert str(check_in("status", InvoiceStatus).sqltext) == (
        "status IN ('draft', 'issued', 'partially_paid', 'paid', 'void')"
    )
    assert str(check_in("price_type", PriceType).sqltext) == (
        "price_type IN ('fixed', 'hourly', 'daily', 'per_session', 'quote')"
    )


def test_every_status_and_type_column_has_its_generated_check():
    assert {(table, name) for table, name, _ in _enum_checks()} == {
        ("Invoice", "Invoice_status_check"),
        ("Payment", "Payment_status_check"),
        ("Party", "Party_type_check"),
        ("MarketplaceUser", "MarketplaceUser_user_type_check"),
        ("MarketplaceUser", "MarketplaceUser_status_check"),
        ("ServiceListing", "ServiceListing_status_check"),
        ("ServiceListing", "ServiceListing_price_type_check"),
        ("MarketplaceTransaction", "MarketplaceTransaction_status_check"),
        ("MessageThread", "MessageThread_status_check"),
        ("AuditEvent", "AuditEvent_actor_kind_check"),
        ("MessageAttachment", "MessageAttachment_content_type_check"),
        ("ReviewReport", "ReviewReport_reason_check"),
        ("SignInSession", "SignInSession_ended_reason_check"),
    }


@pytest.mark.parametrize(("table", "name", "sql"), _enum_checks(), ids=lambda value: str(value))
def test_generated_check_is_what_the_migrated_database_has(head_db, table, name, sql):
    """PostgreSQL normalises both: the migrated constraint, and the generated text on a copy of the table."""
    with head_db.connect(autocommit=False) as conn:
        (migrated,) = conn.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND conname = %s",
            (f'"{table}"', name),
        ).fetchone()
        conn.execute(f'CREATE TEMP TABLE probe (LIKE "{table}")')
        conn.execute(f"ALTER TABLE probe ADD CONSTRAINT probe_check CHECK ({sql})")
        (generated,) = conn.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'probe'::regclass"
            " AND conname = 'probe_check'"
        ).fetchone()
        conn.rollback()
    assert generated == migrated
