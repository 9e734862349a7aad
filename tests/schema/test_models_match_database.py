"""The models in `models/` describe the database the migrations build, including what autogenerate cannot see."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.util import CommandError

from app.extensions import db
from models import Base
from tests.schema.catalog import snapshot


def test_autogenerate_finds_nothing_to_change_after_upgrade_head(head_db):
    with head_db.app.app_context():
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            changes = compare_metadata(context, Base.metadata)
        assert changes == [], "models and database differ:\n" + "\n".join(map(repr, changes))

        config = head_db.app.extensions["migrate"].migrate.get_config()
        try:
            command.check(config)  # what `flask db check` runs
        except CommandError as error:
            pytest.fail(f"`flask db check` is not clean: {error}")
        finally:
            db.engine.dispose()


def _checks_and_indexes(url: str) -> dict[tuple[str, str], str]:
    """CHECK constraints and index definitions (with predicates and sort order), as PostgreSQL prints them."""
    return {
        key: definition
        for key, definition in snapshot(url).items()
        if key[0] == "index" or (key[0] == "constraint" and definition.startswith("CHECK"))
    }


def test_models_checks_and_partial_index_predicates_equal_the_migrated_databases(scratch_db, head_db):
    """Autogenerate ignores CHECK text and index predicates, so let PostgreSQL normalise both sides and compare:
    the models' DDL goes into a scratch database (only as a yardstick; the real schema comes from Alembic)."""
    from_models = scratch_db()
    with from_models.app.app_context():
        Base.metadata.create_all(db.engine)
        db.engine.dispose()

    ours, models = _checks_and_indexes(head_db.url), _checks_and_indexes(from_models.url)
    assert any("WHERE" in definition for definition in ours.values()), "expected partial indexes to compare"
    assert any(definition.startswith("CHECK") for definition in ours.values()), "expected CHECKs to compare"
    mismatches = [
        f"  {kind} {name}\n      database: {ours.get((kind, name), '(absent)')}\n"
        f"      models:   {models.get((kind, name), '(absent)')}"
        for kind, name in sorted(ours.keys() | models.keys())
        if ours.get((kind, name)) != models.get((kind, name))
    ]
    assert not mismatches, "models and migrations disagree on:\n" + "\n".join(mismatches)
