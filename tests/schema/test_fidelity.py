"""After `upgrade head` the catalog is what the spec's own SQL builds, except the deviations schema-notes.md lists."""

from __future__ import annotations

from tests.schema.catalog import allowed_deviations, differences, snapshot, spec_sql
from tests.schema.conftest import NOTES, REV1, SPEC


def test_schema_after_upgrade_head_matches_the_specs_sql_except_the_written_deviations(scratch_db, head_db):
    spec_db = scratch_db()
    spec_db.upgrade(REV1)
    with spec_db.connect(autocommit=False) as conn:
        for block in spec_sql(SPEC):
            conn.execute(block)
        conn.commit()

    found = {
        difference.line: difference
        for difference in differences(snapshot(spec_db.url), snapshot(head_db.url))
    }
    allowed = allowed_deviations(NOTES)

    unexplained = [found[line] for line in sorted(found.keys() - allowed.keys())]
    stale = sorted(allowed.keys() - found.keys())
    report = []
    if unexplained:
        report.append("Differences from the spec's SQL that docs/schema-notes.md does not list:")
        report.extend(difference.describe() for difference in unexplained)
    if stale:
        report.append("Lines in the deviations block that no longer match any difference (remove them):")
        report.extend(f"  {line}  # {allowed[line]}" for line in stale)
    assert not report, "\n".join(report)
