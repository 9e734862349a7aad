"""`flask db preflight` and the pre-flight step of `flask db upgrade` (issue 14): each check on a database at the
revision before the one that needs it, with planted rows; nothing changes unless --fix is asked for."""

from __future__ import annotations

import io
import json
import logging
import math
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from alembic.script import ScriptDirectory
from click.testing import Result
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from tests.cli import run_flask
from tests.schema.catalog import snapshot
from tests.schema.conftest import EXISTING_TABLES, REV1, REV2, ScratchDatabase, table_rows

FIX_LOGGER = "app.preflight"

# Two breeders; contacts 2-6 point at marketplace users that revision 1 has no table for. (41, tenant 1) is held
# by contacts 2 and 3, (42, tenant 2) by 5 and 6; contact 4 shares user 41 with another tenant, which is allowed.
ROWS_AT_REVISION_1 = """
INSERT INTO "Tenant" (id, name, slug, "updatedAt") VALUES
  (1, 'Sunny Acres', 'sunny-acres', now()), (2, 'Other Farm', 'other-farm', now());
INSERT INTO "Party" (id, "tenantId", type, name, "updatedAt") VALUES
  (1, 1, 'person', 'Zoë', now()), (2, 2, 'organization', 'Kennel Club', now());
INSERT INTO "Contact" (id, "tenantId", "partyId", email, "marketplaceUserId", "updatedAt") VALUES
  (1, 1, 1, 'zoe@example.com', NULL, now()),
  (2, 1, 1, 'z2@example.com', 41, now()),
  (3, 1, 1, NULL, 41, now()),
  (4, 2, 2, NULL, 41, now()),
  (5, 2, 2, NULL, 42, now()),
  (6, 2, 2, NULL, 42, now());
INSERT INTO "Invoice" (id, "tenantId", "clientPartyId", number, status, "amountCents", "balanceCents", "updatedAt")
VALUES (1, 1, 1, 'INV-1', 'issued', 2147483647, 100, now()), (2, 2, 2, 'INV-1', 'paid', 5000, 0, now());
INSERT INTO "Payment" (id, "tenantId", "invoiceId", "amountCents", status, "updatedAt")
VALUES (1, 2, 2, 5000, 'succeeded', now());
"""
DANGLING_IDS = [2, 3, 4, 5, 6]
WITHOUT_LINKS = ROWS_AT_REVISION_1 + 'UPDATE "Contact" SET "marketplaceUserId" = NULL;'


def _invoke(database: ScratchDatabase, *args: str, stdin: str | None = None) -> Result:
    result = database.app.test_cli_runner().invoke(args=["db", *args], input=stdin)
    database.dispose()
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


@contextmanager
def _logged(name: str) -> Iterator[io.StringIO]:
    """What `name` logs (alembic's fileConfig, run by every migration, replaces the root handlers caplog uses)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


def _report(database: ScratchDatabase, *args: str) -> tuple[dict, int]:
    result = _invoke(database, "preflight", "--json", *args)
    return json.loads(result.stdout), result.exit_code


def _blockers(report: dict) -> dict[str, dict]:
    return {blocker["name"]: blocker for blocker in report["blockers"]}


def _at(scratch_db, revision: str, rows: str = ROWS_AT_REVISION_1) -> ScratchDatabase:
    database = scratch_db()
    database.upgrade(revision)
    database.execute(rows)
    return database


def test_dangling_links_and_duplicate_pairs_are_each_reported_with_their_count_and_ids(scratch_db):
    database = _at(scratch_db, REV1)

    report, code = _report(database)

    assert code == 1 and report["can_run"] is False and report["exit_code"] == 1
    assert report["current"] == [REV1] and report["revisions"][0] == REV2
    blockers = _blockers(report)
    assert set(blockers) == {"Contact_marketplaceUserId_fkey", "Contact_marketplaceUserId_tenantId_key"}
    dangling = blockers["Contact_marketplaceUserId_fkey"]
    assert (dangling["revision"], dangling["table"], dangling["count"]) == (REV2, "Contact", 5)
    assert dangling["sample_ids"] == DANGLING_IDS
    assert dangling["safe_fix"] is True
    assert dangling["fix_sql"] == (
        'UPDATE "Contact" SET "marketplaceUserId" = NULL WHERE "Contact"."marketplaceUserId" IS NOT NULL;'
    )
    pairs = blockers["Contact_marketplaceUserId_tenantId_key"]
    assert (pairs["count"], pairs["details"]["groups"], pairs["sample_ids"]) == (4, 2, [2, 3, 5, 6])
    assert pairs["safe_fix"] is False and pairs["fix_sql"].startswith("-- keeps the value on the oldest row")


def test_once_marketplace_users_exist_only_the_links_to_missing_ones_dangle(scratch_db):
    """A revision 2 that stopped half-way (its transactional part committed) leaves MarketplaceUser behind."""
    database = _at(scratch_db, REV1)
    database.execute('CREATE TABLE "MarketplaceUser" (id SERIAL PRIMARY KEY)')
    database.execute('INSERT INTO "MarketplaceUser" (id) VALUES (41)')

    blockers = _blockers(_report(database)[0])

    dangling = blockers["Contact_marketplaceUserId_fkey"]
    assert (dangling["count"], dangling["sample_ids"]) == (2, [5, 6])
    assert "NOT EXISTS" in dangling["fix_sql"]


def test_statuses_outside_the_models_enums_are_reported_by_value(scratch_db):
    # A database made by Prisma has no CHECK constraints: revision 1's are assumed, not guaranteed.
    database = _at(scratch_db, REV1, WITHOUT_LINKS)
    database.execute('ALTER TABLE "Invoice" DROP CONSTRAINT "Invoice_status_check"')
    database.execute('ALTER TABLE "Payment" DROP CONSTRAINT "Payment_status_check"')
    database.execute("UPDATE \"Invoice\" SET status = CASE id WHEN 1 THEN 'sent' ELSE 'Paid' END")
    database.execute("UPDATE \"Payment\" SET status = 'completed'")

    report, code = _report(database)

    assert code == 1
    blockers = _blockers(report)
    assert set(blockers) == {"Invoice_status_check", "Payment_status_check"}
    invoices = blockers["Invoice_status_check"]
    assert (invoices["count"], invoices["sample_ids"]) == (2, [1, 2])
    assert invoices["details"]["values"] == {"Paid": 1, "sent": 1}
    # The case-only difference has an obvious fix; the other is for a person to choose.
    assert 'UPDATE "Invoice" SET "status" = \'paid\' WHERE "status" = \'Paid\';' in invoices["fix_sql"]
    assert (
        "= <one of 'draft', 'issued', 'partially_paid', 'paid', 'void'> WHERE \"status\" = 'sent'"
        in (invoices["fix_sql"])
    )
    assert blockers["Payment_status_check"]["count"] == 1


def test_revision_11_checks_run_on_a_database_at_revision_10(scratch_db):
    database = scratch_db()
    database.upgrade("0010_audit_events")
    database.execute(
        """
        INSERT INTO "Tenant" (id, name, slug, "updatedAt") VALUES (1, 'Sunny Acres', 'sunny-acres', now());
        INSERT INTO "MarketplaceTransaction"
          (id, provider_tenant_id, service_description, amount_cents, platform_fee_cents, net_payout_cents,
           transaction_date)
        VALUES (1, 1, 'ok', 10000, 500, 9500, '2026-11-27'),
               (2, 1, 'free', 0, NULL, NULL, '2026-11-27'),
               (3, 1, 'fee above amount', 100, 200, -100, '2026-11-27'),
               (4, 1, 'net without fee', 100, NULL, 100, '2026-11-27'),
               (5, 1, 'wrong net', 100, 5, 90, '2026-11-27');
        INSERT INTO "Invoice" (id, "tenantId", number, "amountCents", "balanceCents", "updatedAt",
                               "marketplaceTransactionId")
        VALUES (1, 1, 'SA-M001', 10000, 0, now(), 1), (2, 1, 'SA-M002', 10000, 0, now(), 1),
               (3, 1, 'SA-M003', 100, 0, now(), 5);
        """
    )

    report, code = _report(database)

    assert code == 1 and report["revisions"][0] == "0011_marketplace_sales"
    counts = {name: (blocker["count"], blocker["sample_ids"]) for name, blocker in _blockers(report).items()}
    assert counts == {
        "MarketplaceTransaction_amount_cents_check": (1, [2]),
        "MarketplaceTransaction_platform_fee_cents_check": (1, [3]),
        "MarketplaceTransaction_net_payout_cents_check": (2, [4, 5]),
        "Invoice_marketplaceTransactionId_key": (2, [1, 2]),
    }


def test_revision_4_duplicate_threads_are_reported_on_a_database_at_revision_3(scratch_db):
    database = scratch_db()
    database.upgrade("0003_invoice_line_items")
    database.execute(
        """
        INSERT INTO "MarketplaceUser" (id, email, password_hash) VALUES (1, 'b@example.com', 'x'),
          (2, 's@example.com', 'x');
        INSERT INTO "ServiceListing" (id, provider_user_id, title, description, category)
        VALUES (1, 2, 'Stud', 'Stud service', 'stud');
        INSERT INTO "MessageThread" (id, listing_id, buyer_user_id, seller_user_id) VALUES
          (1, 1, 1, 2), (2, 1, 1, 2), (3, NULL, 1, 2), (4, NULL, 1, 2);
        """
    )

    blockers = _blockers(_report(database)[0])

    threads = blockers["MessageThread_listing_id_buyer_user_id_key"]
    assert (threads["count"], threads["sample_ids"], threads["revision"]) == (
        2,
        [1, 2],
        "0004_thread_per_listing_buyer",
    )


def test_a_large_table_passes_a_lowered_lock_threshold_and_gets_the_online_recipe(scratch_db):
    database = _at(scratch_db, REV1, WITHOUT_LINKS)
    database.execute(
        """INSERT INTO "Invoice" (id, "tenantId", number, "amountCents", "balanceCents", "updatedAt")
           SELECT 100 + g, 1, 'BULK-' || g, g, g, now() FROM generate_series(1, 20000) AS g"""
    )
    database.execute('ANALYZE "Invoice"')
    database.execute('ANALYZE "Payment"')

    default, code = _report(database)
    assert code == 0 and default["rewrite_rate"]["bytes_per_second"] > 0

    def step(report: dict, table: str) -> dict:
        return next(item for item in report["locks"] if item["table"] == table and item["revision"] == REV2)

    assert step(default, "Invoice")["rows_estimate"] == 20002
    assert step(default, "Payment")["rows_estimate"] == 1
    # Between the two estimates (far apart), so a change in the measured rate does not move either across.
    threshold = math.sqrt(step(default, "Invoice")["held_seconds"] * step(default, "Payment")["held_seconds"])

    report, code = _report(database, "--lock-threshold", f"{threshold:.6f}")
    text = _invoke(database, "preflight", "--lock-threshold", f"{threshold:.6f}").stdout

    assert code == 0  # a long lock is a warning with a recipe, not a blocker
    invoice, payment = step(report, "Invoice"), step(report, "Payment")
    assert invoice["over_threshold"] is True and payment["over_threshold"] is False
    assert invoice["mode"] == "ACCESS EXCLUSIVE" and invoice["size_bytes"] > 1_000_000
    assert 'ADD COLUMN "amountCents_big" BIGINT' in invoice["recipe"]
    assert "OVER the" in text and '| 1. `ALTER TABLE "Invoice" ADD COLUMN "amountCents_big" BIGINT`' in text
    assert "lock(s) over the threshold" in text


def test_upgrade_stops_before_any_change_and_the_fixes_let_it_run_to_head(scratch_db, tmp_path):
    """Through the real command line, as an operator (and `make run`) would run it."""
    database = _at(scratch_db, REV1)
    schema_before, rows_before = snapshot(database.url), table_rows(database)
    environment = {key: value for key, value in os.environ.items() if key not in {"APP_ENV", "FLASK_APP"}}
    environment |= {"DATABASE_URL": database.url, "INSTANCE_PATH": str(tmp_path)}

    stopped = run_flask(environment, "db", "upgrade", timeout=120)

    assert stopped.returncode == 1, stopped.stderr
    assert "Blockers (2): the upgrade would stop on these rows." in stopped.stdout
    assert "The upgrade did not start: 2 pre-flight blocker(s)" in stopped.stderr
    assert database.revision() == REV1
    assert snapshot(database.url) == schema_before
    assert table_rows(database) == rows_before
    preflight = run_flask(environment, "db", "preflight", timeout=120)
    assert preflight.returncode == 1 and "Contact_marketplaceUserId_fkey" in preflight.stdout

    with _logged(FIX_LOGGER) as log:
        fixed = _invoke(database, "preflight", "--fix", "--yes")

    # Exactly the dangling links went, nothing else; the log says which rows and what they held.
    assert fixed.exit_code == 0, fixed.output
    expected = {table: [dict(row) for row in rows] for table, rows in rows_before.items()}
    for contact in expected["Contact"]:
        if contact["id"] in DANGLING_IDS:
            contact["marketplaceUserId"] = None
    assert table_rows(database) == expected
    assert 'Set "Contact"."marketplaceUserId" to NULL on 5 row(s), ids: 2, 3, 4, 5, 6' in fixed.output
    assert "After the fixes:" in fixed.output and "Result: OK, the upgrade can run." in fixed.output
    assert "id 2 (was 41), id 3 (was 41), id 4 (was 41), id 5 (was 42), id 6 (was 42)" in log.getvalue()

    upgraded = run_flask(environment, "db", "upgrade", timeout=180)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "Result: OK, the upgrade can run." in upgraded.stdout
    assert database.revision() == database.heads()[0]
    assert run_flask(environment, "db", "preflight", timeout=120).returncode == 0


def test_after_a_revision_2_stopped_half_way_the_pre_flight_shows_what_is_left_and_the_fixes_finish_it(
    scratch_db,
):
    database = _at(scratch_db, REV1)

    # Without the pre-flight, revision 2 meets the duplicate pairs only in its concurrent part: its tables exist,
    # alembic_version still says 0001, and the failed unique build leaves an INVALID index.
    with pytest.raises(
        IntegrityError, match='could not create unique index "Contact_marketplaceUserId_tenantId_key"'
    ):
        _invoke(database, "upgrade", "--skip-preflight")
    assert database.revision() == REV1
    report, code = _report(database)

    assert code == 1
    assert [index["name"] for index in report["invalid_indexes"]] == [
        "Contact_marketplaceUserId_tenantId_key"
    ]
    blockers = _blockers(report)
    assert set(blockers) == {"Contact_marketplaceUserId_fkey", "Contact_marketplaceUserId_tenantId_key"}
    assert blockers["Contact_marketplaceUserId_fkey"]["sample_ids"] == DANGLING_IDS
    assert (
        "NOT EXISTS" in blockers["Contact_marketplaceUserId_fkey"]["fix_sql"]
    )  # MarketplaceUser is there now

    assert _invoke(database, "preflight", "--fix", "--yes").exit_code == 0
    upgraded = _invoke(database, "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert database.revision() == database.heads()[0]
    assert database.execute("SELECT count(*) FROM pg_index WHERE NOT indisvalid") == [(0,)]


def test_fix_asks_first_and_leaves_every_other_blocker_alone(scratch_db):
    database = _at(scratch_db, REV1)
    rows_before = table_rows(database)

    declined = _invoke(database, "preflight", "--fix", stdin="n\n")
    assert declined.exit_code == 1
    assert "Apply these changes? [y/N]" in declined.output and "Nothing was changed." in declined.output
    assert table_rows(database) == rows_before

    # Duplicate pairs among real users are not --fix's to decide.
    database.execute('CREATE TABLE "MarketplaceUser" (id SERIAL PRIMARY KEY)')
    database.execute('INSERT INTO "MarketplaceUser" (id) VALUES (41), (42)')
    report, code = _report(database, "--fix", "--yes")

    assert code == 1
    assert report["applied_fixes"] == []
    assert set(_blockers(report)) == {"Contact_marketplaceUserId_tenantId_key"}
    assert table_rows(database) == rows_before


def test_json_and_text_give_the_same_report(scratch_db):
    database = _at(scratch_db, REV1)
    database.execute('ALTER TABLE "Invoice" DROP CONSTRAINT "Invoice_status_check"')
    database.execute("UPDATE \"Invoice\" SET status = 'sent' WHERE id = 2")

    report, code = _report(database)
    text = _invoke(database, "preflight")

    assert text.exit_code == code == 1
    output = text.stdout
    assert f"Blockers ({len(report['blockers'])}):" in output
    for blocker in report["blockers"]:
        assert blocker["message"] in output
        assert f"ids: {', '.join(map(str, blocker['sample_ids']))}" in output
        for line in blocker["fix_sql"].splitlines():
            assert line in output
    for item in report["locks"]:
        assert f'[{item["revision"]}] "{item["table"]}"' in output and item["statement"] in output
    numbered = [line.strip() for line in output.splitlines() if re.match(r"  \d+\. \[", line)]
    assert numbered == [
        f"{number}. [{blocker['revision']}] {blocker['name']}"
        for number, blocker in enumerate(report["blockers"], 1)
    ]
    assert output.rstrip().endswith("then run `flask --app wsgi db preflight` again.")


def test_a_clean_database_exits_0_and_one_at_head_has_nothing_to_run(scratch_db):
    database = _at(scratch_db, REV1, WITHOUT_LINKS)

    report, code = _report(database)
    assert (code, report["can_run"], report["blockers"]) == (0, True, [])
    assert report["revisions_without_checks"] == []

    database.upgrade("head")
    text = _invoke(database, "preflight")
    assert text.exit_code == 0
    assert "no revision between it and head" in text.stdout and "Result: OK, nothing to run." in text.stdout


def test_invalid_indexes_from_an_interrupted_concurrent_build_are_reported(scratch_db):
    database = _at(scratch_db, REV1, WITHOUT_LINKS)
    database.execute("UPDATE \"Party\" SET name = 'Same'")
    with pytest.raises(Exception, match="could not create unique index"):
        database.execute('CREATE UNIQUE INDEX CONCURRENTLY "Party_name_key" ON "Party"(name)')

    report, code = _report(database)
    text = _invoke(database, "preflight").stdout

    assert code == 0  # it slows writes but stops nothing
    assert [(index["name"], index["table"]) for index in report["invalid_indexes"]] == [
        ("Party_name_key", "Party")
    ]
    assert 'INVALID index "Party_name_key" on "Party"' in text
    assert 'DROP INDEX CONCURRENTLY IF EXISTS "Party_name_key";' in text


def test_a_downgrade_that_narrows_money_is_checked_against_the_amounts(scratch_db):
    database = _at(scratch_db, REV1, WITHOUT_LINKS)
    database.upgrade("head")
    database.execute('UPDATE "Payment" SET "amountCents" = 2200000000 WHERE id = 1')

    report, code = _report(database, REV1)

    assert code == 1 and report["direction"] == "downgrade" and report["revisions"][-1] == REV2
    assert [(blocker["name"], blocker["count"], blocker["sample_ids"]) for blocker in report["blockers"]] == [
        ("Payment INTEGER money", 1, [1])
    ]
    # Invoice 1 holds INTEGER's maximum exactly, which fits.
    assert {item["table"] for item in report["locks"]} == {"Invoice", "Payment"}


def test_offline_sql_is_generated_without_a_pre_flight(scratch_db):
    database = scratch_db()
    database.upgrade(REV1)

    result = _invoke(database, "upgrade", "--sql", f"{REV1}:head")

    assert result.exit_code == 0, result.output
    assert "CREATE UNIQUE INDEX CONCURRENTLY" in result.stdout and "Pre-flight" not in result.stdout
    assert database.revision() == REV1


def test_the_demo_downgraded_to_revision_1_is_named_fixed_and_upgraded_with_every_row_intact(
    scratch_db, capfd
):
    """The issue's scenario: the demo, `db downgrade 0001_existing_schema`, `db preflight`, `--fix --yes`,
    `db upgrade`."""
    from demo import seed_demo

    database = scratch_db()
    database.upgrade("head")
    with database.app.app_context():
        seed_demo()
        db.session.commit()
    database.dispose()
    linked = [
        row[0] for row in database.execute('SELECT id FROM "Contact" WHERE "marketplaceUserId" IS NOT NULL')
    ]
    assert linked

    # The demo's SA-1008 ($25,000,000.00) is more than INTEGER holds: the way down names it, and it has to go.
    report, code = _report(database, REV1)
    too_big = database.execute("""SELECT id FROM "Invoice" WHERE "amountCents" > 2147483647""")
    assert code == 1 and too_big
    assert [(blocker["name"], blocker["sample_ids"]) for blocker in report["blockers"]] == [
        ("Invoice INTEGER money", [row[0] for row in too_big])
    ]
    database.execute("""DELETE FROM "Payment" WHERE "invoiceId" IN (SELECT id FROM "Invoice" WHERE "amountCents" > 2147483647);
                        DELETE FROM "Invoice" WHERE "amountCents" > 2147483647""")

    downgraded = _invoke(database, "downgrade", REV1)
    assert downgraded.exit_code == 0, downgraded.output
    left_behind = downgraded.output  # alembic's log handler writes to the stderr of the command
    assert "Revision 0002_production_ready_schema is undone. It leaves behind:" in left_behind
    assert f'{len(linked)} "Contact" row(s) keep a "marketplaceUserId"' in left_behind
    assert "run `flask --app wsgi db preflight`" in left_behind

    report, code = _report(database)
    assert code == 1
    assert [(blocker["name"], blocker["sample_ids"]) for blocker in report["blockers"]] == [
        ("Contact_marketplaceUserId_fkey", linked)
    ]

    assert _invoke(database, "preflight", "--fix", "--yes").exit_code == 0
    at_revision_1 = table_rows(database)
    columns = {table: list(rows[0]) for table, rows in at_revision_1.items()}

    upgraded = _invoke(database, "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert database.revision() == database.heads()[0]
    assert table_rows(database, EXISTING_TABLES, columns) == at_revision_1
    assert sum(row["amountCents"] for row in at_revision_1["Invoice"]) > 0


def test_every_recipe_a_revision_names_is_a_section_of_the_schema_notes(scratch_db):
    database = scratch_db()
    with database.app.app_context():
        script = ScriptDirectory.from_config(database.app.extensions["migrate"].migrate.get_config())
    recipes = {
        entry.recipe
        for revision in script.walk_revisions()
        for attribute in ("PREFLIGHT", "PREFLIGHT_DOWNGRADE")
        for entry in getattr(revision.module, attribute, ())
        if getattr(entry, "recipe", None)
    }
    assert len(recipes) == 2
    for recipe in recipes:
        assert recipe.text.startswith(f'From docs/schema-notes.md, "{recipe.heading}":\n'), recipe.text
