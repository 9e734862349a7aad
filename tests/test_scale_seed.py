"""`flask seed-scale` with small numbers, on a scratch database of its own: what it loads, that every row passes
the app's own pages, that the database's triggers would have written the same derived columns, that the schema
is left as it was, and that a second run, or a run with bad options, writes nothing."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from app.extensions import db
from app.scale_seed import (
    BROAD_QUERY,
    DEFAULT_PASSWORD,
    HEAVY_BUYER_EMAIL,
    HEAVY_CLIENT_EMAIL,
    HEAVY_SELLER_EMAIL,
    HEAVY_TENANT_SLUG,
    NARROW_QUERY,
    words,
)
from app.scale_seed.listings import is_broad_match
from marketplace.browse.keywords import build_tsquery
from models import MarketplaceUser, ServiceListing
from tests.conftest import FreshContextClient, csrf_token_from
from tests.dbserver import scratch_app

SMALL = {
    "--tenants": 3,
    "--invoices": 300,
    "--heavy-client-invoices": 100,
    "--listings": 500,
    "--threads": 200,
    "--messages": 2_000,
    "--heavy-seller-threads": 50,
    "--long-thread-messages": 300,
}
SMALL_ARGS = [str(part) for option in SMALL.items() for part in option]

# Every constraint, index, trigger and row-security switch of the tables seed-scale loads.
CATALOG = """
SELECT 'index', c.relname::text, pg_get_indexdef(i.indexrelid) || CASE WHEN i.indisvalid THEN '' ELSE ' INVALID' END
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
WHERE t.relnamespace = 'public'::regnamespace
UNION ALL
SELECT 'constraint', conname::text, conrelid::regclass::text || ' ' || pg_get_constraintdef(oid) || convalidated::text
FROM pg_constraint WHERE connamespace = 'public'::regnamespace
UNION ALL
SELECT 'trigger', tgname::text, tgrelid::regclass::text || ' ' || tgenabled::text
FROM pg_trigger WHERE NOT tgisinternal
UNION ALL
SELECT 'table', relname::text, relrowsecurity::text || ' ' || relforcerowsecurity::text
FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'
ORDER BY 1, 2, 3
"""
COUNTS = """
SELECT (SELECT count(*) FROM "Tenant" WHERE slug LIKE 'scale-%'),
       (SELECT count(*) FROM "Contact" WHERE email LIKE '%@scale.example'),
       (SELECT count(*) FROM "Invoice"), (SELECT count(*) FROM "InvoiceLineItem"), (SELECT count(*) FROM "Payment"),
       (SELECT count(*) FROM "MarketplaceUser"), (SELECT count(*) FROM "ServiceListing"),
       (SELECT count(*) FROM "MessageThread"), (SELECT count(*) FROM "Message")
"""


@dataclass
class Seeded:
    app: Flask
    owner_url: str
    catalog_before: list[tuple]
    output: str


def owner(seeded: Seeded) -> psycopg.Connection:
    conn = psycopg.connect(seeded.owner_url, autocommit=True)
    conn.execute("SELECT set_config('app.cross_tenant', 'a test reading the scale seed', false)")
    return conn


def catalog(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(CATALOG).fetchall()


def counts(seeded: Seeded) -> tuple:
    with owner(seeded) as conn:
        return conn.execute(COUNTS).fetchone()


def seed(app: Flask, *args: str):
    return app.test_cli_runner().invoke(args=["seed-scale", *args])


@pytest.fixture(scope="module")
def seeded(pg_server_url: str) -> Iterator[Seeded]:
    with scratch_app(pg_server_url, f"breeder_scale_seed_{os.getpid()}") as app:
        owner_url = make_url(app.config["MIGRATION_DATABASE_URI"]).set(drivername="postgresql")
        url = owner_url.render_as_string(hide_password=False)
        before = catalog(url)
        result = seed(app, *SMALL_ARGS)
        assert result.exit_code == 0, result.output
        yield Seeded(app, url, before, result.stdout)


@pytest.fixture(autouse=True)
def _db_transaction() -> Iterator[None]:
    """Overrides the suite's rolled-back transaction: the command commits on the scratch database."""
    yield


@pytest.fixture
def web(seeded: Seeded) -> FlaskClient:
    """A browser: each request in an app context of its own, as in production."""
    return FreshContextClient(seeded.app, seeded.app.response_class)


def sign_in(web: FlaskClient, login: str, email: str) -> int:
    """Sign in through the real form; the response's status."""
    token = csrf_token_from(web.get(login).get_data(as_text=True))
    return web.post(
        login, data={"email": email, "password": DEFAULT_PASSWORD, "csrf_token": token}
    ).status_code


def app_session_scalar(seeded: Seeded, statement):
    """One value read through the app's own session (its role and query builders)."""
    with seeded.app.app_context():
        try:
            return db.session.scalar(statement)
        finally:
            db.session.remove()


def test_a_small_seed_loads_the_numbers_asked_for(seeded: Seeded):
    tenants, contacts, invoices, _items, _payments, _users, listings, threads, messages = counts(seeded)
    assert (tenants, contacts, invoices, listings, threads, messages) == (3, 60, 300, 500, 200, 2_000)
    for label in ("accounts", "invoices", "listings", "messages"):
        assert re.search(rf"^{label}: [\d,]+ rows in [\d.]+ s = [\d,]+ rows/s", seeded.output, re.M), (
            seeded.output
        )
    with owner(seeded) as conn:
        heavy = conn.execute(
            'SELECT count(*), count(DISTINCT i.status) FROM "Invoice" i JOIN "Contact" c ON c."partyId" = i."clientPartyId" '
            "WHERE c.email = %s",
            (HEAVY_CLIENT_EMAIL,),
        ).fetchone()
        long_thread = conn.execute(
            'SELECT count(*) FROM "Message" m JOIN "MessageThread" t ON t.id = m.thread_id '
            'JOIN "MarketplaceUser" b ON b.id = t.buyer_user_id JOIN "MarketplaceUser" s ON s.id = t.seller_user_id '
            "WHERE b.email = %s AND s.email = %s",
            (HEAVY_BUYER_EMAIL, HEAVY_SELLER_EMAIL),
        ).fetchone()[0]
        seller_threads = conn.execute(
            'SELECT count(*) FROM "MessageThread" t JOIN "MarketplaceUser" s ON s.id = t.seller_user_id '
            "WHERE s.email = %s",
            (HEAVY_SELLER_EMAIL,),
        ).fetchone()[0]
    assert heavy[0] == 100 and heavy[1] >= 3  # several statuses, not drafts only
    assert (long_thread, seller_threads) == (300, 50)


def test_the_load_leaves_the_schema_as_it_found_it(seeded: Seeded):
    assert catalog(seeded.owner_url) == seeded.catalog_before


def test_amounts_add_up_as_the_portal_reads_them(seeded: Seeded):
    with owner(seeded) as conn:
        wrong = conn.execute(
            """SELECT count(*) FROM "Invoice" i
               LEFT JOIN LATERAL (SELECT sum("amountCents") AS total FROM "InvoiceLineItem" WHERE "invoiceId" = i.id) l ON true
               LEFT JOIN LATERAL (SELECT coalesce(sum("amountCents"), 0) AS paid FROM "Payment"
                                  WHERE "invoiceId" = i.id AND status = 'succeeded') p ON true
               WHERE l.total IS DISTINCT FROM i."amountCents"
                  OR i."balanceCents" <> CASE WHEN i.status IN ('paid', 'void') THEN 0 ELSE i."amountCents" - p.paid END
                  OR (i.status = 'paid' AND p.paid <> i."amountCents")
                  OR (i.status = 'draft') <> (i."issuedAt" IS NULL)"""
        ).fetchone()[0]
    assert wrong == 0


def test_the_heavy_client_signs_in_and_sees_their_invoices(seeded: Seeded, web: FlaskClient):
    assert sign_in(web, f"/portal/{HEAVY_TENANT_SLUG}/login", HEAVY_CLIENT_EMAIL) == 302
    page = web.get(f"/portal/{HEAVY_TENANT_SLUG}/invoices").get_data(as_text=True)
    with owner(seeded) as conn:
        newest_id, number, line = conn.execute(
            'SELECT i.id, i.number, (SELECT description FROM "InvoiceLineItem" WHERE "invoiceId" = i.id LIMIT 1) '
            'FROM "Invoice" i JOIN "Contact" c ON c."partyId" = i."clientPartyId" '
            "WHERE c.email = %s AND i.status <> 'draft' AND i.\"deletedAt\" IS NULL "
            'ORDER BY i."createdAt" DESC, i.id DESC LIMIT 1',
            (HEAVY_CLIENT_EMAIL,),
        ).fetchone()
    assert number in page
    invoice = web.get(f"/portal/{HEAVY_TENANT_SLUG}/invoices/{newest_id}")
    assert invoice.status_code == 200
    assert number in invoice.get_data(as_text=True) and line in invoice.get_data(as_text=True)


def test_every_other_client_signs_in_with_the_same_password(seeded: Seeded, web: FlaskClient):
    assert sign_in(web, "/portal/scale-0003/login", "client-0003-20@scale.example") == 302
    assert web.get("/portal/scale-0003/invoices").status_code == 200


def test_listings_are_found_by_keyword_search(seeded: Seeded, web: FlaskClient):
    def matches(query: str) -> int:
        search = ServiceListing.search_vector.op("@@")(build_tsquery(query))
        return app_session_scalar(seeded, select(func.count()).select_from(ServiceListing).where(search))

    assert matches(BROAD_QUERY) == sum(is_broad_match(index) for index in range(500))
    assert matches(NARROW_QUERY) == 1
    with owner(seeded) as conn:
        listing_id, title = conn.execute(
            'SELECT id, title FROM "ServiceListing" ORDER BY id DESC LIMIT 1'
        ).fetchone()
    page = web.get("/listings", query_string={"q": title}).get_data(as_text=True)
    assert f"/listings/{listing_id}" in page
    assert title in web.get(f"/listings/{listing_id}").get_data(as_text=True)
    narrow = web.get("/listings", query_string={"q": NARROW_QUERY}).get_data(as_text=True)
    assert words.NARROW_BREED in narrow


def test_derived_columns_equal_what_the_triggers_compute(seeded: Seeded):
    with owner(seeded) as conn:
        stale_vectors = conn.execute(
            'SELECT count(*) FROM "ServiceListing" WHERE search_vector IS DISTINCT FROM '
            "listing_search_document(title::text, tags, description, category::text)"
        ).fetchone()[0]
        misplaced = conn.execute(
            'SELECT count(*) FROM "ServiceListing" l LEFT JOIN "ZipCentroid" z ON z.zip_code = l.zip_code '
            "WHERE z.zip_code IS NULL OR l.latitude IS DISTINCT FROM z.latitude OR l.longitude IS DISTINCT FROM z.longitude"
        ).fetchone()[0]
        # The counters revision 0009's triggers keep: unread messages the other side sent.
        miscounted = conn.execute(
            """SELECT count(*) FROM "MessageThread" t, LATERAL (
                   SELECT count(*) FILTER (WHERE m.sender_user_id <> t.buyer_user_id) AS buyer,
                          count(*) FILTER (WHERE m.sender_user_id <> t.seller_user_id) AS seller
                   FROM "Message" m WHERE m.thread_id = t.id AND m.read_at IS NULL) u
               WHERE (t.buyer_unread_count, t.seller_unread_count) <> (u.buyer, u.seller)"""
        ).fetchone()[0]
        unread_threads = conn.execute(
            'SELECT count(*) FROM "MessageThread" WHERE seller_unread_count > 0'
        ).fetchone()[0]
        last_message = conn.execute(
            'SELECT count(*) FROM "MessageThread" t WHERE last_message_at IS DISTINCT FROM '
            '(SELECT max(created_at) FROM "Message" WHERE thread_id = t.id)'
        ).fetchone()[0]
    assert (stale_vectors, misplaced, miscounted, last_message) == (0, 0, 0, 0)
    assert unread_threads > 0


def test_the_heavy_seller_inbox_lists_threads_with_their_unread_counts(seeded: Seeded, web: FlaskClient):
    assert sign_in(web, "/login", HEAVY_SELLER_EMAIL) == 302
    inbox = web.get("/messages").get_data(as_text=True)
    shown: dict[int, int] = {}
    for row, thread in re.findall(r'(id="inbox-thread-(\d+)".*?</a>)', inbox, re.S):
        badge = re.search(r'badge-count">(\d+)<', row)
        shown[int(thread)] = int(badge.group(1)) if badge else 0
    assert len(shown) >= 10
    with owner(seeded) as conn:
        expected = dict(
            conn.execute(
                """SELECT t.id, (SELECT count(*) FROM "Message" m WHERE m.thread_id = t.id AND m.read_at IS NULL
                                  AND m.sender_user_id <> t.seller_user_id)
                   FROM "MessageThread" t WHERE t.id = ANY(%s)""",
                (list(shown),),
            ).fetchall()
        )
        badge = conn.execute(
            'SELECT sum(seller_unread_count) FROM "MessageThread" t JOIN "MarketplaceUser" u ON u.id = t.seller_user_id '
            "WHERE u.email = %s",
            (HEAVY_SELLER_EMAIL,),
        ).fetchone()[0]
    assert shown == expected
    assert any(shown.values())
    assert f"data-unread-badge>{badge}<" in inbox
    long_thread = next(iter(shown))  # the newest conversation: the one with the heavy buyer
    page = web.get(f"/messages/{long_thread}")
    assert page.status_code == 200
    assert "Heavy Buyer" in page.get_data(as_text=True)


def test_a_second_run_loads_nothing_again(seeded: Seeded):
    before = counts(seeded)
    result = seed(seeded.app, *SMALL_ARGS)
    assert result.exit_code == 0, result.output
    assert "Already loaded, left as they were: accounts, invoices, listings, messages." in result.output
    assert counts(seeded) == before


def test_a_run_with_other_numbers_is_refused(seeded: Seeded):
    before = counts(seeded)
    result = seed(seeded.app, *SMALL_ARGS, "--invoices", "400")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "Error: Not seeding: the database already holds 300 scale invoices, not 400 (stage invoices was loaded "
        "with other options). Use the same options, or a fresh database."
    )
    assert counts(seeded) == before


def test_an_interrupted_run_resumes_with_the_stages_left(seeded: Seeded):
    before = counts(seeded)
    with owner(seeded) as conn:  # as if the run had stopped during its last stage (which is one transaction)
        conn.execute('DELETE FROM "MessageThread"')
    result = seed(seeded.app, *SMALL_ARGS)
    assert result.exit_code == 0, result.output
    assert "Already loaded, left as they were: accounts, invoices, listings." in result.output
    assert re.search(r"^messages: 2,200 rows", result.stdout, re.M)
    assert counts(seeded) == before
    assert catalog(seeded.owner_url) == seeded.catalog_before


@pytest.mark.parametrize(
    ("options", "error"),
    [
        (["--tenants", "0"], "--tenants must be at least 1 (got 0)."),
        (["--invoices", "-5"], "--invoices must be at least 1 (got -5)."),
        (
            ["--messages", "150"],
            "--messages (150) is too few: 200 threads need at least one message each and the long thread 300, so at least 499.",
        ),
        (["--heavy-client-invoices", "301"], "--heavy-client-invoices (301) cannot exceed --invoices (300)."),
        (["--heavy-seller-threads", "201"], "--heavy-seller-threads (201) cannot exceed --threads (200)."),
        (
            ["--messages", "3000000000"],
            "Too many messages (3,000,000,000): ids are INTEGER, at most 2,147,483,647.",
        ),
        (
            ["--listings", "200"],
            "--listings (200) leaves no listing of another provider for the 150 threads beyond the heavy seller's: use more than 200.",
        ),
        (["--password", ""], "--password must be 1 to 128 characters."),
    ],
)
def test_bad_options_get_one_line_and_write_nothing(seeded: Seeded, options: list[str], error: str):
    before = counts(seeded)
    result = seed(seeded.app, *SMALL_ARGS, *options)
    assert result.exit_code == 1
    assert (result.stdout, result.stderr.strip()) == ("", f"Error: {error}")
    assert counts(seeded) == before


def test_seeded_accounts_are_verified_active_and_have_no_second_factor(seeded: Seeded):
    unverified = app_session_scalar(
        seeded,
        select(func.count()).where(~MarketplaceUser.email_verified | MarketplaceUser.not_in_good_standing),
    )
    assert unverified == 0
    assert app_session_scalar(seeded, text('SELECT count(*) FROM "TwoFactorCredential"')) == 0


@pytest.fixture
def owned_by_a_plain_role(pg_server_url: str) -> Iterator[Flask]:
    """A database whose tables belong to a role that is neither a superuser nor BYPASSRLS, as on a managed server
    (README, Database roles): row-level security holds that owner too (FORCE)."""
    from flask_migrate import upgrade

    from app import create_app
    from tests.dbserver import _admin_url, create_database, drop_database

    suffix = os.getpid()
    role, name = f"scale_seed_owner_{suffix}", f"breeder_scale_seed_owner_{suffix}"
    admin = _admin_url(pg_server_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP ROLE IF EXISTS "{role}"')
        conn.execute(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOBYPASSRLS')
    url = make_url(create_database(pg_server_url, name))
    with psycopg.connect(
        url.set(drivername="postgresql").render_as_string(hide_password=False), autocommit=True
    ) as conn:
        conn.execute(f'ALTER DATABASE "{name}" OWNER TO "{role}"')
    owner_url = url.set(username=role, password=None).render_as_string(hide_password=False)
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": owner_url, "MIGRATION_DATABASE_URI": owner_url, "SERVER_NAME": None},
        env_name="testing",
    )
    with app.app_context():
        upgrade()
    try:
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()
        drop_database(pg_server_url, name)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')


def test_an_owner_held_to_row_level_security_seeds_too(owned_by_a_plain_role: Flask):
    app = owned_by_a_plain_role
    result = seed(app, *SMALL_ARGS)
    assert result.exit_code == 0, result.output
    url = make_url(app.config["MIGRATION_DATABASE_URI"]).set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False)) as conn:
        assert (
            conn.execute('SELECT count(*) FROM "Invoice"').fetchone()[0] == 0
        )  # no scope: the policies hide all
        conn.execute("SELECT set_config('app.cross_tenant', 'a test reading the scale seed', false)")
        assert conn.execute('SELECT count(*) FROM "Invoice"').fetchone()[0] == 300
        forced = conn.execute(
            "SELECT count(*) FROM pg_class WHERE relforcerowsecurity AND relnamespace = 'public'::regnamespace"
        ).fetchone()[0]
    assert forced == 9  # every tenant table still FORCEs its policies (revision 0022)
