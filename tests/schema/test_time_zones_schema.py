"""Revision 0021: a nullable time zone on Contact and MarketplaceUser; up, down and up again keeps every row."""

from __future__ import annotations

from tests.schema.conftest import ScratchDatabase

BEFORE = "0020_message_idempotency"
REVISION = "0021_viewer_time_zones"

EXISTING = """
INSERT INTO "Tenant" (id, name, slug, "updatedAt") VALUES (1, 'Sunny Acres', 'sunny-acres', now());
INSERT INTO "Party" (id, "tenantId", type, name, "updatedAt") VALUES (1, 1, 'person', 'Pat', now());
INSERT INTO "Contact" (id, "tenantId", "partyId", email, "updatedAt") VALUES (1, 1, 1, 'pat@example.com', now());
INSERT INTO "MarketplaceUser" (id, email, password_hash) VALUES (1, 'buyer@example.com', 'x');
"""


def test_up_down_up_keeps_contacts_and_users_and_their_zones_start_unknown(scratch_db):
    database: ScratchDatabase = scratch_db()
    database.upgrade(BEFORE)
    database.execute(EXISTING)
    contacts = 'SELECT id, "tenantId", "partyId", email FROM "Contact" ORDER BY id'
    users = 'SELECT id, email, password_hash FROM "MarketplaceUser" ORDER BY id'
    before = (database.execute(contacts), database.execute(users))

    database.upgrade(REVISION)
    assert database.execute('SELECT "timeZone" FROM "Contact"') == [(None,)]
    assert database.execute('SELECT time_zone FROM "MarketplaceUser"') == [(None,)]
    database.execute('UPDATE "Contact" SET "timeZone" = \'America/Chicago\'')
    database.execute("UPDATE \"MarketplaceUser\" SET time_zone = 'Europe/Berlin'")

    database.downgrade(BEFORE)
    assert (database.execute(contacts), database.execute(users)) == before
    assert database.execute(
        "SELECT count(*) FROM information_schema.columns WHERE column_name IN ('timeZone', 'time_zone')"
    ) == [(0,)]

    database.upgrade(REVISION)
    assert (database.execute(contacts), database.execute(users)) == before
    assert database.execute('SELECT "timeZone" FROM "Contact"') == [(None,)]
