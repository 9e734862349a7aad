"""A migration that cannot take its lock gives up quickly, says why, and leaves the schema as it was."""

from __future__ import annotations

import pytest
from alembic.util import CommandError

from tests.schema.catalog import snapshot
from tests.schema.conftest import REV1, REV2


def test_upgrade_blocked_by_a_lock_on_invoice_fails_fast_and_leaves_revision_1_untouched(
    scratch_db, monkeypatch
):
    database = scratch_db()
    database.upgrade(REV1)
    before = snapshot(database.url)
    monkeypatch.setenv("MIGRATION_LOCK_TIMEOUT", "1s")

    with database.connect(autocommit=False) as holder:
        holder.execute('LOCK TABLE "Invoice" IN ACCESS EXCLUSIVE MODE')
        with pytest.raises(CommandError) as stopped:
            database.upgrade(REV2)
        holder.rollback()

    message = str(stopped.value)
    assert "could not take a table lock within lock_timeout=1s" in message
    assert "schema is as it was" in message
    assert database.revision() == REV1
    assert snapshot(database.url) == before
    assert ("column", "Invoice.amountCents") in before and before[
        ("column", "Invoice.amountCents")
    ].startswith("integer")
    assert not any(kind == "table" and name == "MarketplaceUser" for kind, name in snapshot(database.url))

    # Once the lock is gone the same upgrade goes through.
    database.upgrade(REV2)
    assert database.revision() == REV2
