"""Row-level security (revision 0022): PostgreSQL itself keeps each breeder's rows to that breeder's scope, so a
query that forgets its tenant filter still cannot read or write another breeder's rows.

Every check here runs the way a request does: in a fresh context, as the application's role (which owns nothing
and cannot bypass row security), never in the test's own cross_tenant(TEST_DATA).
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Callable, Iterator
from typing import TypeVar

import psycopg
import pytest
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from app import create_app, replicas
from app.config import ConfigError
from app.database_roles import role_bypasses_row_security
from app.extensions import db
from models import (
    ALL_TENANTS,
    Invoice,
    Party,
    Tenant,
    TenantNotBound,
    cross_tenant,
    linked_tenants_scope,
    tenant_scope,
)
from models.scoping import current_scope, current_tenant_id, each_step_in_tenant, prebuilt
from tests.cli import run_flask
from tests.conftest import FreshContextClient, csrf_token_from
from tests.dbserver import scratch_app
from tests.factories import PASSWORD, ContactFactory, InvoiceFactory, PartyFactory, TenantFactory
from tests.portal.conftest import PortalWorld

T = TypeVar("T")
INVOICE_TENANTS = 'SELECT "tenantId" FROM "Invoice"'
POLICY_REFUSED = "row-level security"
# Tables with a tenant column that are not a breeder's private rows (see revision 0022's notes).
NOT_TENANT_PRIVATE = {("Review", "provider_tenant_id"), ("MarketplaceUser", "tenant_id")}


def in_request(app: Flask, path: str, work: Callable[[], T]) -> T:
    """work() inside a request to `path`, after the app's before-request hooks, from a clean context."""

    def run() -> T:
        with app.test_request_context(path):
            app.preprocess_request()
            return work()

    return contextvars.Context().run(run)


def with_nothing_bound(app: Flask, work: Callable[[], T]) -> T:
    """work() with no request and no tenant scope at all."""

    def run() -> T:
        with app.app_context():
            return work()

    return contextvars.Context().run(run)


def invoice_tenants_by_raw_sql() -> set[int]:
    return set(db.session.execute(text(INVOICE_TENANTS)).scalars())


@pytest.fixture
def invoices(world: PortalWorld) -> tuple[Invoice, Invoice]:
    mine = InvoiceFactory(tenant=world.tenant, client_party=world.client_contact.party)
    theirs = InvoiceFactory(tenant=world.other_tenant, client_party=world.other_tenant_contact.party)
    db.session.flush()
    return mine, theirs


# ---- reading ------------------------------------------------------------------------------------------------


def test_an_unscoped_raw_select_in_a_portal_request_returns_only_that_portals_invoices(
    app: Flask,
    world: PortalWorld,
    invoices: tuple[Invoice, Invoice],
):
    assert in_request(app, "/portal/sunny/login", invoice_tenants_by_raw_sql) == {world.tenant.id}
    assert in_request(app, "/portal/river/login", invoice_tenants_by_raw_sql) == {world.other_tenant.id}
    # Straight to the driver, past the ORM and its hook: the database alone decides.
    driver_rows = in_request(
        app, "/portal/sunny/login", lambda: db.session.connection().exec_driver_sql(INVOICE_TENANTS).all()
    )
    assert {tenant_id for (tenant_id,) in driver_rows} == {world.tenant.id}


def test_with_no_tenant_bound_a_raw_select_returns_no_invoice_at_all(
    app: Flask, invoices: tuple[Invoice, Invoice]
):
    assert with_nothing_bound(app, invoice_tenants_by_raw_sql) == set()
    assert in_request(app, "/listings", invoice_tenants_by_raw_sql) == set()  # a marketplace page binds none
    # The test itself (cross_tenant) sees both: the rows are there.
    assert {invoice.tenant_id for invoice in invoices} <= invoice_tenants_by_raw_sql()


def test_linked_breeders_can_be_read_and_no_other(app: Flask, world: PortalWorld, invoices):
    def read_linked() -> set[int]:
        with linked_tenants_scope([world.other_tenant.id]):
            return invoice_tenants_by_raw_sql()

    assert with_nothing_bound(app, read_linked) == {world.other_tenant.id}


# ---- writing ------------------------------------------------------------------------------------------------

INSERT_PARTY = text(
    'INSERT INTO "Party" ("tenantId", type, name, "createdAt", "updatedAt") '
    "VALUES (:tenant_id, 'person', 'Planted', now(), now())"
)


def test_a_portal_request_cannot_insert_a_row_into_another_breeder(app: Flask, world: PortalWorld):
    def plant() -> None:
        db.session.execute(INSERT_PARTY, {"tenant_id": world.other_tenant.id})

    with pytest.raises(ProgrammingError, match=POLICY_REFUSED):
        in_request(app, "/portal/sunny/login", plant)
    # The same statement for its own breeder goes through: only the other tenant is refused.
    in_request(
        app, "/portal/sunny/login", lambda: db.session.execute(INSERT_PARTY, {"tenant_id": world.tenant.id})
    )


def test_an_orm_write_into_another_breeder_is_refused_at_flush(app: Flask, world: PortalWorld):
    def plant() -> None:
        db.session.add(Party(tenant_id=world.other_tenant.id, type="person", name="Planted"))
        db.session.flush()

    with pytest.raises(ProgrammingError, match=POLICY_REFUSED):
        in_request(app, "/portal/sunny/login", plant)


def test_a_portal_request_cannot_move_its_row_to_another_breeder_or_touch_theirs(
    app: Flask,
    world: PortalWorld,
    invoices: tuple[Invoice, Invoice],
):
    mine, theirs = invoices

    def move_mine() -> None:
        db.session.execute(
            text('UPDATE "Invoice" SET "tenantId" = :other WHERE id = :id'),
            {"other": world.other_tenant.id, "id": mine.id},
        )

    with pytest.raises(ProgrammingError, match=POLICY_REFUSED):
        in_request(app, "/portal/sunny/login", move_mine)

    def void_and_delete_theirs() -> tuple[int, int]:
        voided = db.session.execute(
            text("UPDATE \"Invoice\" SET notes = 'gone' WHERE id = :id"), {"id": theirs.id}
        )
        deleted = db.session.execute(
            text('DELETE FROM "InvoiceLineItem" WHERE "invoiceId" = :id'), {"id": theirs.id}
        )
        return voided.rowcount, deleted.rowcount

    assert in_request(app, "/portal/sunny/login", void_and_delete_theirs) == (0, 0)
    db.session.refresh(theirs)
    assert theirs.notes != "gone"


def test_linked_breeders_are_read_only(app: Flask, world: PortalWorld):
    def plant() -> None:
        with linked_tenants_scope([world.tenant.id]):
            db.session.execute(INSERT_PARTY, {"tenant_id": world.tenant.id})

    with pytest.raises(ProgrammingError, match=POLICY_REFUSED):
        with_nothing_bound(app, plant)


# ---- the ORM hook -------------------------------------------------------------------------------------------


def test_a_tenant_owned_query_with_no_tenant_bound_is_refused(app: Flask, invoices):
    with pytest.raises(TenantNotBound):
        with_nothing_bound(app, lambda: db.session.scalars(select(Invoice)).all())
    with pytest.raises(TenantNotBound):
        in_request(app, "/listings", lambda: db.session.scalars(select(Party.name)).all())
    # Rows that belong to no tenant are not affected.
    assert with_nothing_bound(app, lambda: db.session.scalars(select(Tenant.id)).all())


def test_a_prebuilt_tenant_owned_query_is_refused_on_every_run_with_no_tenant(app: Flask, invoices):
    # The check's answer is kept per prebuilt statement: the second run must be refused as the first was.
    statement = prebuilt(select(Invoice.id))
    for _ in range(2):
        with pytest.raises(TenantNotBound):
            with_nothing_bound(app, lambda: db.session.scalars(statement).all())
    untenanted = prebuilt(select(Tenant.id))
    for _ in range(2):
        assert with_nothing_bound(app, lambda: db.session.scalars(untenanted).all())


def test_the_statement_opt_out_skips_the_orm_check_but_the_database_still_shows_nothing(app: Flask, invoices):
    found = with_nothing_bound(
        app, lambda: db.session.scalars(select(Invoice).execution_options(**{ALL_TENANTS: True})).all()
    )
    assert found == []


def test_cross_tenant_needs_a_reason_and_then_sees_every_breeder(app: Flask, invoices):
    with pytest.raises(ValueError, match="reason"):
        cross_tenant("  ")

    def everything() -> set[int]:
        with cross_tenant("a test of the cross-tenant scope"):
            return {invoice.tenant_id for invoice in db.session.scalars(select(Invoice))}

    assert with_nothing_bound(app, everything) == {invoice.tenant_id for invoice in invoices}


def test_leaving_a_scope_inside_one_transaction_takes_its_rows_away(app: Flask, world, invoices):
    def widen_then_narrow() -> tuple[set[int], set[int], set[int]]:
        before = invoice_tenants_by_raw_sql()
        with tenant_scope(world.other_tenant.id):
            inside = invoice_tenants_by_raw_sql()
        after = invoice_tenants_by_raw_sql()  # the same transaction, the scope gone again
        return before, inside, after

    assert in_request(app, "/portal/sunny/login", widen_then_narrow) == (
        {world.tenant.id},
        {world.other_tenant.id},
        {world.tenant.id},
    )


# ---- roles and catalog --------------------------------------------------------------------------------------


def test_the_app_connects_as_a_role_that_row_security_holds(app: Flask):
    assert role_bypasses_row_security(db.session.connection()) is None


def test_every_table_with_a_tenant_column_has_row_security_forced(app: Flask):
    rows = db.session.execute(
        text(
            """
            SELECT c.relname, a.attname, c.relrowsecurity, c.relforcerowsecurity,
                   (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies
            FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
            WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND NOT a.attisdropped
              AND a.attname IN ('tenantId', 'tenant_id', 'provider_tenant_id')
            """
        )
    ).all()
    covered = {row.relname for row in rows if (row.relname, row.attname) not in NOT_TENANT_PRIVATE}
    assert {"Party", "Contact", "Invoice", "InvoiceLineItem", "Payment", "PaymentRefund"} <= covered
    assert {"MarketplaceTransaction", "AuditEvent", "InvoiceNumberCounter"} <= covered
    unsecured = [
        row.relname
        for row in rows
        if (row.relname, row.attname) not in NOT_TENANT_PRIVATE
        and not (row.relrowsecurity and row.relforcerowsecurity and row.policies >= 2)
    ]
    assert unsecured == []


def test_a_table_a_later_revision_creates_is_the_apps_to_use_at_once(
    database_url: str, app_database_url: str
):
    owner = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    app_role = make_url(app_database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(owner, autocommit=True) as conn:
        conn.execute("CREATE TABLE rls_later_table (id serial PRIMARY KEY, note text)")
    try:
        with psycopg.connect(app_role) as conn:
            conn.execute("INSERT INTO rls_later_table (note) VALUES ('works')")
            assert conn.execute("SELECT note FROM rls_later_table").fetchall() == [("works",)]
            conn.rollback()
    finally:
        with psycopg.connect(owner, autocommit=True) as conn:
            conn.execute("DROP TABLE rls_later_table")


# ---- the pool -----------------------------------------------------------------------------------------------


@pytest.fixture
def one_connection_app(pg_server_url: str, worker_id: str) -> Iterator[Flask]:
    """An app whose pool holds exactly one connection, with two breeders' invoices committed."""
    options = {"pool_size": 1, "max_overflow": 0, "pool_pre_ping": True}
    with scratch_app(
        pg_server_url, f"breeder_rls_pool_{worker_id}", {"SQLALCHEMY_ENGINE_OPTIONS": options}
    ) as app:
        app.test_client_class = FreshContextClient
        yield app


def _seed_two_breeders(app: Flask) -> dict[str, int]:
    with app.app_context():
        ids = {}
        for slug in ("alder", "birch"):
            contact = ContactFactory(
                party=PartyFactory(tenant=TenantFactory(slug=slug), email=f"{slug}@example.test")
            )
            InvoiceFactory(tenant=contact.tenant, client_party=contact.party, number=f"{slug.upper()}-1")
            db.session.flush()
            ids[slug] = contact.tenant_id
        db.session.commit()
        return ids


def _backend_and_tenants() -> tuple[int, str, set[int]]:
    backend = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    setting = db.session.execute(text("SELECT current_setting('app.tenant_id', true)")).scalar_one()
    return backend, setting or "", invoice_tenants_by_raw_sql()


def test_every_transaction_plans_each_statement_for_its_own_values(app: Flask):
    # A prepared statement's generic plan took seconds for the browser's statement at scale.
    def plan_cache_modes() -> list[str]:
        modes = [db.session.execute(text("SHOW plan_cache_mode")).scalar_one()]
        db.session.commit()  # a new transaction on the same connection
        modes.append(db.session.execute(text("SHOW plan_cache_mode")).scalar_one())
        return modes

    assert in_request(app, "/listings", plan_cache_modes) == ["force_custom_plan"] * 2
    assert with_nothing_bound(app, plan_cache_modes) == ["force_custom_plan"] * 2


def test_a_pooled_connection_never_carries_one_requests_tenant_into_the_next(one_connection_app: Flask):
    app = one_connection_app
    tenants = _seed_two_breeders(app)

    def commit_then_look() -> tuple[tuple[int, str, set[int]], tuple[int, str, set[int]]]:
        first = _backend_and_tenants()
        db.session.commit()  # a new transaction on the same connection: the tenant is set again
        return first, _backend_and_tenants()

    (pid, setting, seen), (pid_after, _, seen_after) = in_request(
        app, "/portal/alder/login", commit_then_look
    )
    assert setting == str(tenants["alder"]) and seen == seen_after == {tenants["alder"]}
    assert pid_after == pid

    birch_pid, _, birch_seen = in_request(app, "/portal/birch/login", _backend_and_tenants)
    assert birch_pid == pid and birch_seen == {tenants["birch"]}

    # Real requests, signed in, one after the other on the one connection: each sees its own invoice only.
    client = app.test_client()
    for slug, other in (("alder", "birch"), ("birch", "alder")):
        token_page = client.get(f"/portal/{slug}/login").get_data(as_text=True)
        client.post(
            f"/portal/{slug}/login",
            data={
                "email": f"{slug}@example.test",
                "password": PASSWORD,
                "csrf_token": csrf_token_from(token_page),
            },
        )
        page = client.get(f"/portal/{slug}/invoices").get_data(as_text=True)
        assert f"{slug.upper()}-1" in page and f"{other.upper()}-1" not in page
        after_pid, after_setting, after_seen = with_nothing_bound(app, _backend_and_tenants)
        assert (after_pid, after_setting, after_seen) == (pid, "", set())

    # And a bare connection as the application's role, with no hook of ours: nothing until a tenant is set.
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False)) as conn:
        assert conn.execute(INVOICE_TENANTS).fetchall() == []
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", (str(tenants["birch"]),))
        assert conn.execute(INVOICE_TENANTS).fetchall() == [(tenants["birch"],)]


# ---- production refuses a role the policies would not hold -------------------------------------------------


def _production_environment(monkeypatch) -> None:
    for name, value in {
        "SECRET_KEY": "a-long-random-production-secret",
        "PUBLIC_URL": "https://breeders.example",
        "MAIL_SERVER": "smtp.breeders.example",
        "SINGLE_PROCESS": "1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("MIGRATION_DATABASE_URL", raising=False)


def test_production_without_database_url_refuses_to_start(monkeypatch):
    _production_environment(monkeypatch)
    with pytest.raises(ConfigError, match="DATABASE_URL must be set in production"):
        create_app(env_name="production")


def test_production_refuses_a_database_role_that_bypasses_row_security(monkeypatch, database_url: str):
    _production_environment(monkeypatch)
    with pytest.raises(ConfigError, match="so row-level security would not hold it"):
        create_app({"SQLALCHEMY_DATABASE_URI": database_url}, env_name="production")  # the owner, a superuser


def test_production_starts_with_the_application_role_and_migrates_only_as_the_owner(
    monkeypatch, app_database_url: str
):
    _production_environment(monkeypatch)
    production = create_app({"SQLALCHEMY_DATABASE_URI": app_database_url}, env_name="production")
    environment = {key: value for key, value in os.environ.items() if key != "MIGRATION_DATABASE_URL"}
    result = run_flask(
        environment | {"APP_ENV": "production", "DATABASE_URL": app_database_url}, "db", "upgrade"
    )
    assert result.returncode != 0
    assert "MIGRATION_DATABASE_URL must be set to migrate in production" in result.stderr
    with production.app_context():
        db.engine.dispose()


def test_production_refuses_a_replica_role_that_bypasses_row_security(
    monkeypatch, database_url, app_database_url
):
    _production_environment(monkeypatch)
    with pytest.raises(
        ConfigError, match=r"DATABASE_REPLICA_URLS's role .* so row-level security would not hold it"
    ):
        create_app(
            {"SQLALCHEMY_DATABASE_URI": app_database_url, "DATABASE_REPLICA_URLS": (database_url,)},
            env_name="production",
        )


def test_the_start_up_check_keeps_no_connection_for_forked_workers_to_share(monkeypatch, app_database_url):
    _production_environment(monkeypatch)
    production = create_app(
        {"SQLALCHEMY_DATABASE_URI": app_database_url, "DATABASE_REPLICA_URLS": (app_database_url,)},
        env_name="production",
    )
    with production.app_context():
        assert db.engine.pool.checkedin() == 0
        assert [engine.pool.checkedin() for engine in replicas.engines(production)] == [0]


# ---- a request starts from nothing ----------------------------------------------------------------------------


def test_a_request_starts_with_no_tenant_whatever_its_thread_held_before(
    app: Flask, world: PortalWorld, invoices
):
    def stale_then_request() -> tuple[set[int], set[int]]:
        with tenant_scope(world.other_tenant.id):  # left behind by something that ran on this thread before
            return (
                in_same_context_request(app, "/listings", invoice_tenants_by_raw_sql),
                in_same_context_request(app, "/portal/sunny/login", invoice_tenants_by_raw_sql),
            )

    assert with_nothing_bound(app, stale_then_request) == (set(), {world.tenant.id})


def in_same_context_request(app: Flask, path: str, work: Callable[[], T]) -> T:
    with app.test_request_context(path):
        app.preprocess_request()
        return work()


def test_a_streamed_reader_holds_its_tenant_only_while_it_reads():
    def reader() -> Iterator[int | None]:
        for _ in range(2):
            yield current_tenant_id()

    steps = each_step_in_tenant(7, reader())
    assert next(steps) == 7
    assert current_tenant_id() is None  # between two steps, the consumer runs in its own scope
    assert next(steps) == 7
    assert list(steps) == []
    assert current_scope().cross_tenant_reason  # the test's own scope is back as it was
