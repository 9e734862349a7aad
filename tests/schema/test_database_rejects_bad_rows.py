"""The database itself refuses rows the application must never write (whatever code path tries)."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from psycopg import errors

from tests.schema.conftest import refused, seeded_connection

BASELINE = """
INSERT INTO "Tenant" (id, name, slug, "updatedAt") VALUES (1, 'Sunny Acres', 'sunny-acres', now()),
                                                          (2, 'Other Farm', 'other-farm', now());
INSERT INTO "Party" (id, "tenantId", type, name, "updatedAt") VALUES (1, 1, 'person', 'Zoë', now()),
                                                                     (2, 2, 'person', 'Zoë', now());
INSERT INTO "MarketplaceUser" (id, email, password_hash, user_type)
  VALUES (1, 'seller@example.com', 'x', 'service_provider'), (2, 'buyer@example.com', 'x', 'buyer');
INSERT INTO "Contact" ("tenantId", "partyId", "marketplaceUserId", "updatedAt") VALUES (1, 1, 2, now());
INSERT INTO "ServiceListing" (id, provider_user_id, title, description, category)
  VALUES (1, 1, 'Grooming', 'Full groom', 'grooming');
INSERT INTO "Invoice" (id, "tenantId", number, "amountCents", "balanceCents", "updatedAt")
  VALUES (1, 1, 'INV-1', 100, 100, now());
-- The rows above take their ids by hand; rows without one must not draw those same ids from the sequences
-- (whether they did depended on which tests had used the shared database before).
SELECT setval(pg_get_serial_sequence('"' || t || '"', 'id'), 1000) FROM unnest(ARRAY['Tenant', 'Party',
  'MarketplaceUser', 'ServiceListing', 'Invoice']) AS t;
"""

BAD_ROWS = {
    "invoice status": """INSERT INTO "Invoice" ("tenantId", number, status, "amountCents", "balanceCents",
                         "updatedAt") VALUES (1, 'INV-2', 'overdue', 1, 1, now())""",
    "payment status": """INSERT INTO "Payment" ("tenantId", "invoiceId", "amountCents", status, "updatedAt")
                         VALUES (1, 1, 1, 'bounced', now())""",
    "listing status": """INSERT INTO "ServiceListing" (provider_user_id, title, description, category, status)
                         VALUES (1, 't', 'd', 'c', 'published')""",
    "listing price_type": """INSERT INTO "ServiceListing" (provider_user_id, title, description, category,
                             price_type) VALUES (1, 't', 'd', 'c', 'weekly')""",
    "marketplace user status": """INSERT INTO "MarketplaceUser" (email, password_hash, status)
                                  VALUES ('x@example.com', 'x', 'deleted')""",
    "marketplace user_type": """INSERT INTO "MarketplaceUser" (email, password_hash, user_type)
                                VALUES ('y@example.com', 'x', 'admin')""",
    "thread status": """INSERT INTO "MessageThread" (listing_id, buyer_user_id, seller_user_id, status)
                        VALUES (1, 2, 1, 'closed')""",
    "transaction status": """INSERT INTO "MarketplaceTransaction" (provider_tenant_id, service_description,
                             amount_cents, transaction_date, status) VALUES (1, 's', 1, current_date, 'paid')""",
}


def new_contact(tenant_id: int, party_id: int, marketplace_user_id: int | None) -> str:
    user = "NULL" if marketplace_user_id is None else str(marketplace_user_id)
    return (
        'INSERT INTO "Contact" ("tenantId", "partyId", "marketplaceUserId", "updatedAt") '
        f"VALUES ({tenant_id}, {party_id}, {user}, now())"
    )


@pytest.fixture
def conn(head_db) -> Iterator[psycopg.Connection]:
    """A connection to a database at head with a few rows, all rolled back afterwards."""
    with seeded_connection(head_db, BASELINE) as connection:
        yield connection


def _refused(conn: psycopg.Connection, sql: str, error: type[Exception]) -> str:
    return refused(conn, sql, error).diag.constraint_name or ""


@pytest.mark.parametrize("what", sorted(BAD_ROWS))
def test_database_refuses_an_unknown_value(conn, what):
    constraint = _refused(conn, BAD_ROWS[what], errors.CheckViolation)
    assert constraint.endswith("_check")


def test_the_same_value_passes_once_it_is_a_known_one(conn):
    """The checks refuse the value, not the row: the known counterpart of each bad row goes in."""
    known = {
        "'overdue'": "'issued'",
        "'bounced'": "'failed'",
        "'published'": "'active'",
        "'weekly'": "'hourly'",
        "'deleted'": "'banned'",
        "'admin'": "'both'",
        "'closed'": "'archived'",
        "'paid'": "'refunded'",
    }
    for sql in BAD_ROWS.values():
        for bad, good in known.items():
            sql = sql.replace(bad, good)
        with conn.transaction():
            conn.execute(sql)


def test_a_second_contact_for_one_marketplace_user_in_one_tenant_is_refused(conn):
    constraint = _refused(conn, new_contact(1, 1, 2), errors.UniqueViolation)
    assert constraint == "Contact_marketplaceUserId_tenantId_key"


def test_the_same_marketplace_user_may_be_a_contact_of_another_tenant(conn):
    conn.execute(new_contact(2, 2, 2))
    assert conn.execute('SELECT count(*) FROM "Contact" WHERE "marketplaceUserId" = 2').fetchone() == (2,)


def test_contacts_without_a_marketplace_user_are_not_limited(conn):
    for _ in range(2):
        conn.execute(new_contact(1, 1, None))


def test_a_duplicate_marketplace_email_is_refused(conn):
    constraint = _refused(
        conn,
        # An id of its own: the baseline's rows take ids 1 and 2 without moving the sequence, so on a fresh
        # database the sequence's next value would collide with the primary key before the e-mail is checked.
        """INSERT INTO "MarketplaceUser" (id, email, password_hash) VALUES (3, 'buyer@example.com', 'x')""",
        errors.UniqueViolation,
    )
    assert constraint == "MarketplaceUser_email_key"


def test_a_contact_cannot_point_at_a_marketplace_user_that_does_not_exist(conn):
    constraint = _refused(conn, new_contact(2, 2, 999), errors.ForeignKeyViolation)
    assert constraint == "Contact_marketplaceUserId_fkey"
