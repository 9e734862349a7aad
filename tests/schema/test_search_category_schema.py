"""Revision 0017: a listing's category name is in its search vector (weight B), kept by a trigger; the upgrade
writes every existing listing's vector, and up, down and up again keeps listings searchable."""

from __future__ import annotations

import pytest

from marketplace.catalog import CATEGORIES
from tests.schema.conftest import ScratchDatabase

BEFORE = "0016_payment_refunds"
REVISION = "0017_listing_search_category"

LISTINGS = """
INSERT INTO "MarketplaceUser" (id, email, password_hash) VALUES (1, 'seller@example.com', 'x');
INSERT INTO "ServiceListing" (id, provider_user_id, title, description, category, status)
SELECT n, 1, 'Listing ' || n, 'Nothing about the trade here', 'grooming', 'active'
FROM generate_series(1, 12) AS n;
INSERT INTO "ServiceListing" (id, provider_user_id, title, description, category, status)
VALUES (13, 1, 'Full groom', 'Bath and trim', 'training', 'active'),
       (14, 1, 'Vet checks', 'Health certificates', 'veterinary', 'active');
"""


def _ids_matching(database: ScratchDatabase, words: str) -> list[int]:
    rows = database.execute(
        "SELECT id FROM \"ServiceListing\" WHERE search_vector @@ websearch_to_tsquery('english', %s) ORDER BY id",
        (words,),
    )
    return [row[0] for row in rows]


def test_upgrade_writes_every_existing_listings_vector_in_batches(scratch_db):
    database: ScratchDatabase = scratch_db()
    database.upgrade(BEFORE)
    database.execute(LISTINGS)
    # More rows than one batch, with a gap in the ids that the keyset walk must step over.
    database.execute(
        'INSERT INTO "ServiceListing" (id, provider_user_id, title, description, category, status) '
        "SELECT n, 1, 'Bulk ' || n, 'Plain text', 'grooming', 'draft' FROM generate_series(1000, 12999) AS n"
    )
    assert _ids_matching(database, "grooming") == [13]  # "groom" in a title only

    database.upgrade(REVISION)

    matching = _ids_matching(database, "grooming")
    assert len(matching) == 12 + 1 + 12_000 and matching[:13] == [*range(1, 14)] and matching[-1] == 12999
    assert _ids_matching(database, "veterinary care") == [14]
    assert database.execute('SELECT count(*) FROM "ServiceListing" WHERE search_vector IS NULL') == [(0,)]


def test_category_weighs_like_tags_below_the_title(head_db):
    with head_db.connect() as conn:
        weights = conn.execute(
            "SELECT listing_search_document('Golden retriever stud', ARRAY['akc'], 'Health tested', 'grooming')::text"
        ).fetchone()[0]
    assert "'groom':" in weights and "B" in weights.split("'groom':")[1].split(" ")[0]
    assert "A" in weights.split("'golden':")[1].split(" ")[0]
    assert "C" in weights.split("'health':")[1].split(" ")[0]


def test_the_trigger_keeps_the_vector_when_the_category_or_text_changes(scratch_db):
    database: ScratchDatabase = scratch_db()
    database.upgrade(REVISION)
    database.execute(LISTINGS)
    database.execute("UPDATE \"ServiceListing\" SET category = 'boarding' WHERE id = 1")
    assert 1 in _ids_matching(database, "boarding")
    assert 1 not in _ids_matching(database, "grooming")
    database.execute("UPDATE \"ServiceListing\" SET description = 'Kennel with heated runs' WHERE id = 2")
    assert _ids_matching(database, "heated runs") == [2]
    database.execute('UPDATE "ServiceListing" SET search_vector = NULL WHERE id = 3')  # a stray hand edit
    database.execute("UPDATE \"ServiceListing\" SET title = 'Listing three' WHERE id = 3")
    assert 3 in _ids_matching(database, "grooming")


def test_the_database_knows_every_category_name_of_the_catalog(head_db):
    """A category added to marketplace/catalog.py without a revision would be searchable only by its key."""
    with head_db.connect() as conn:
        labels = {
            key: conn.execute("SELECT listing_category_label(%s)", (key,)).fetchone()[0] for key in CATEGORIES
        }
    assert labels == CATEGORIES


@pytest.mark.parametrize("rounds", [1])
def test_up_down_up_keeps_listings_searchable(scratch_db, rounds):
    database: ScratchDatabase = scratch_db()
    database.upgrade(BEFORE)
    database.execute(LISTINGS)
    columns = 'SELECT id, title, description, category, status FROM "ServiceListing" ORDER BY id'
    before = database.execute(columns)
    for _ in range(rounds):
        database.upgrade(REVISION)
        assert len(_ids_matching(database, "grooming")) == 13
        database.downgrade(BEFORE)
        assert database.execute(columns) == before
        assert _ids_matching(database, "grooming") == [13]  # the old vector, without categories, is back
        assert database.execute(
            "SELECT count(*) FROM pg_indexes WHERE indexname = 'ServiceListing_search_idx'"
        ) == [(1,)]
    database.upgrade(REVISION)
    assert database.execute(columns) == before
    assert len(_ids_matching(database, "grooming")) == 13
