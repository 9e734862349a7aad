"""Revision 0022: row-level security. The application's role sees a tenant's rows only with that tenant set, and
nothing with nothing set; the owner's data is untouched; up, down and up again keep every row."""

from __future__ import annotations

import psycopg

from app.database_roles import provision_app_role
from tests.schema.catalog import libpq_url
from tests.schema.conftest import ScratchDatabase

BEFORE = "0021_viewer_time_zones"
REVISION = "0022_row_level_security"

EXISTING = """
INSERT INTO "Tenant" (id, name, slug, "updatedAt") VALUES (1, 'Sunny Acres', 'sunny-acres', now()),
                                                         (2, 'River Stables', 'river', now());
INSERT INTO "Party" (id, "tenantId", type, name, "updatedAt") VALUES (1, 1, 'person', 'Ann', now()),
                                                                   (2, 2, 'person', 'Bo', now());
INSERT INTO "Invoice" (id, "tenantId", "clientPartyId", number, status, "amountCents", "balanceCents", "updatedAt")
VALUES (1, 1, 1, 'SA-1', 'issued', 10000, 10000, now()), (2, 2, 2, 'RS-1', 'issued', 5000, 5000, now());
INSERT INTO "Payment" (id, "tenantId", "invoiceId", "amountCents", status, method, "updatedAt")
VALUES (1, 1, 1, 2500, 'succeeded', 'cash', now()), (2, 2, 2, 1000, 'succeeded', 'cash', now());
INSERT INTO "AuditEvent" (actor_kind, action, subject_table, subject_id, tenant_id)
VALUES ('cli', 'invoice.noted', 'Invoice', 1, 1), ('cli', 'invoice.noted', 'Invoice', 2, 2),
       ('marketplace_user', 'marketplace_user.signed_in', 'MarketplaceUser', 7, NULL);
"""
TABLES = ("Party", "Invoice", "Payment", "AuditEvent")


def _everything(database: ScratchDatabase) -> dict[str, list[tuple]]:
    return {table: database.execute(f'SELECT * FROM "{table}" ORDER BY id') for table in TABLES}


def _seen_by_app(app_url: str, tenant: str | None) -> dict[str, list]:
    """Each table's ids as the application's role sees them, with app.tenant_id set to `tenant` (or not set)."""
    with psycopg.connect(libpq_url(app_url)) as conn:
        if tenant is not None:
            conn.execute("SELECT set_config('app.tenant_id', %s, true)", (tenant,))
        return {
            table: [row[0] for row in conn.execute(f'SELECT id FROM "{table}" ORDER BY id')]
            for table in TABLES
        }


def test_up_down_up_keeps_every_row_and_holds_the_app_role_to_its_tenant(scratch_db):
    database: ScratchDatabase = scratch_db()
    database.upgrade(BEFORE)
    database.execute(EXISTING)
    app_url = provision_app_role(database.url)
    before = _everything(database)
    everything = {table: [row[0] for row in rows] for table, rows in before.items()}

    database.upgrade(REVISION)
    assert _everything(database) == before  # the owner (here a superuser) is not held back
    assert _seen_by_app(app_url, None) == {"Party": [], "Invoice": [], "Payment": [], "AuditEvent": [3]}
    assert _seen_by_app(app_url, "") == {"Party": [], "Invoice": [], "Payment": [], "AuditEvent": [3]}
    first_tenant = _seen_by_app(app_url, "1")
    assert first_tenant == {"Party": [1], "Invoice": [1], "Payment": [1], "AuditEvent": [1]}

    database.downgrade(BEFORE)
    assert _everything(database) == before
    assert _seen_by_app(app_url, None) == everything  # no policy left
    assert database.execute("SELECT count(*) FROM pg_policy") == [(0,)]
    assert database.execute("SELECT count(*) FROM pg_proc WHERE proname LIKE 'tenant_row_%'") == [(0,)]

    database.upgrade(REVISION)
    assert _everything(database) == before
    assert _seen_by_app(app_url, "2") == {"Party": [2], "Invoice": [2], "Payment": [2], "AuditEvent": [2]}
