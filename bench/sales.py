"""Sales list and "My invoices" at scale: one breeder with 100,000 recorded sales (beside 3 breeders with 30,000
each), and a marketplace buyer linked to 5 breeders with 20,000 invoices between them.

Times the pages through the signed-in test client (median of 7), prints the statements each page sends, and
EXPLAIN (ANALYZE, BUFFERS) of the sales list's and My invoices' queries exactly as the app sends them.

`BENCH_DATABASE_URL=postgresql+psycopg://… python -m bench.run sales`. The data is generated in SQL, one stage
per transaction, each stage recognised by its tenant (or user) and skipped when present: a second run reuses the
data, and an interrupted load resumes at the stage that did not commit.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from html import unescape as html_unescape

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select, text
from sqlalchemy.engine import Engine

from app.auth import SignedIn
from app.extensions import db
from bench.common import bench_app, time_it
from models import MarketplaceUser, Tenant

SALES_SLUG = "bench-sales"
SALES = 100_000
NOISE_TENANTS = 3
NOISE_SALES = 30_000
SELLER_EMAIL = "salesbench-seller@bench.test"
BUYER_EMAIL = "salesbench-buyer@bench.test"
BREEDERS = 5
BUYER_INVOICES = 20_000  # over the BREEDERS, for the buyer's linked contacts
OTHER_CLIENT_INVOICES = 5_000  # per breeder, for another client (what the buyer must not see)
PARTIES_PER_TENANT = 2_000
CLIENT_USERS = 500
LISTINGS = 40
DAYS = 1_096  # sales spread over the last ~3 years
OLDER_LINK = re.compile(r'href="([^"]*)" rel="next"')
PAGE_DEPTH = 100


def _log(message: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {message}", flush=True)


def _run(sql: str, **params: object) -> None:
    db.session.execute(text(sql), params)


def _scalar(sql: str, **params: object):
    return db.session.execute(text(sql), params).scalar()


# --- data --------------------------------------------------------------------------------------------------------

NEW_TENANT = """
INSERT INTO "Tenant" (name, slug, "createdAt", "updatedAt")
VALUES (:name, :slug, now() AT TIME ZONE 'utc', now() AT TIME ZONE 'utc') RETURNING id
"""

NEW_USER = """
INSERT INTO "MarketplaceUser" (email, password_hash, first_name, last_name, user_type, status, email_verified,
                               tenant_id, tenant_verified, created_at, updated_at)
VALUES (:email, 'not-a-hash', :first_name, 'Bench', :user_type, 'active', true, :tenant_id, :verified,
        now() - interval '4 years', now())
RETURNING id
"""

PARTIES = """
INSERT INTO "Party" ("tenantId", type, name, email, "createdAt", "updatedAt")
SELECT :tenant_id, 'person', 'Client ' || g || ' of ' || :slug, 'client' || g || '@' || :slug || '.test',
       now() AT TIME ZONE 'utc', now() AT TIME ZONE 'utc'
FROM generate_series(1, :count) g
"""

CLIENT_USERS_SQL = """
INSERT INTO "MarketplaceUser" (email, password_hash, first_name, last_name, user_type, status, email_verified,
                               created_at, updated_at)
SELECT 'salesbench-client-' || g || '@bench.test', 'not-a-hash', 'Buyer', 'No. ' || g, 'buyer', 'active', true,
       now() - interval '4 years', now()
FROM generate_series(1, :count) g
"""

LISTINGS_SQL = """
INSERT INTO "ServiceListing" (provider_user_id, title, description, category, price_cents, price_type, status,
                              state, created_at, updated_at, published_at)
SELECT :seller_id, 'Sales bench listing ' || g, 'A listing of the sales bench', 'stud_service', 50000, 'fixed',
       'active', 'TX', now() - interval '4 years', now(), now() - interval '4 years'
FROM generate_series(1, :count) g
"""

# Status: 70 % completed, 15 % pending, 10 % cancelled, 5 % refunded. Clients: a third each a party, a
# marketplace user, or words. Every 20th sale has no fee recorded (NULL), the next one a zero fee and no net;
# the rest a 5 % fee and its net (the CHECKs of revision 0011 hold). Dates uniform over the last DAYS days.
SALES_SQL = """
INSERT INTO "MarketplaceTransaction" (provider_tenant_id, provider_user_id, client_party_id, client_user_id,
       client_description, service_listing_id, service_description, amount_cents, currency, platform_fee_cents,
       net_payout_cents, transaction_date, status, payment_method, notes, created_at, updated_at)
SELECT :tenant_id, :seller_id,
       CASE WHEN g % 3 = 0 THEN :first_party + (g / 3) % :parties END,
       CASE WHEN g % 3 = 1 AND :first_client > 0 THEN :first_client + (g / 3) % :clients END,
       CASE WHEN g % 3 = 2 OR (g % 3 = 1 AND :first_client = 0) THEN 'Walk-in buyer ' || g END,
       CASE WHEN g % 2 = 0 AND :first_listing > 0 THEN :first_listing + (g / 2) % :listings END,
       (ARRAY['Puppy deposit', 'Stud service', 'Puppy balance', 'Grooming', 'Boarding, one week',
              'Health testing', 'Training session', 'Transport'])[1 + g % 8],
       amount, 'USD',
       CASE WHEN g % 20 = 0 THEN NULL WHEN g % 20 = 1 THEN 0 ELSE (amount * 500 + 5000) / 10000 END,
       CASE WHEN g % 20 > 1 THEN amount - (amount * 500 + 5000) / 10000 END,
       day,
       CASE WHEN r1 < 0.70 THEN 'completed' WHEN r1 < 0.85 THEN 'pending' WHEN r1 < 0.95 THEN 'cancelled'
            ELSE 'refunded' END,
       (ARRAY['card', 'cash', 'check', 'bank_transfer', NULL])[1 + g % 5],
       CASE WHEN g % 10 = 0 THEN 'Bench note ' || g END,
       day + interval '9 hours' + (g % 30000) * interval '1 second',
       day + interval '9 hours' + (g % 30000) * interval '1 second'
FROM (
    SELECT g, random() AS r1, current_date - floor(random() * :days)::int AS day,
           (5 + floor(random() * 2000))::bigint * 100 AS amount
    FROM generate_series(1, :count) g
) AS s
"""

# Half of the pending or completed sales to a party have their invoice (the list joins it).
SALE_INVOICES_SQL = """
INSERT INTO "Invoice" ("tenantId", "clientPartyId", number, status, "amountCents", "balanceCents", currency,
                       "issuedAt", "dueAt", "createdAt", "updatedAt", "marketplaceTransactionId",
                       "isMarketplaceInvoice")
SELECT t.provider_tenant_id, t.client_party_id, :prefix || t.id,
       CASE t.status WHEN 'completed' THEN 'paid' ELSE 'issued' END,
       t.amount_cents, CASE t.status WHEN 'completed' THEN 0 ELSE t.amount_cents END, 'USD',
       t.created_at, t.created_at + interval '30 days', t.created_at, t.created_at, t.id, true
FROM "MarketplaceTransaction" t
WHERE t.provider_tenant_id = :tenant_id AND t.client_party_id IS NOT NULL AND t.status IN ('pending', 'completed')
  AND t.id % 2 = 0
"""

# Per 20 invoices: 1 draft, 1 void, 10 paid, 5 issued, 3 partially paid; every 50th soft-deleted. Newest first
# every 3 hours back, so the 4,000 of one breeder span about 500 days.
INVOICES_SQL = """
INSERT INTO "Invoice" ("tenantId", "clientPartyId", number, status, "amountCents", "balanceCents", currency,
                       "issuedAt", "dueAt", "createdAt", "updatedAt", "deletedAt")
SELECT :tenant_id, :party_id, :prefix || g, status, amount,
       CASE status WHEN 'paid' THEN 0 WHEN 'void' THEN 0 WHEN 'partially_paid' THEN amount / 2 ELSE amount END,
       'USD',
       CASE WHEN status = 'draft' THEN NULL ELSE created END,
       CASE WHEN status = 'draft' THEN NULL ELSE created + interval '30 days' END,
       created, created,
       CASE WHEN g % 50 = 0 THEN created END
FROM generate_series(1, :count) g
CROSS JOIN LATERAL (
    SELECT (now() AT TIME ZONE 'utc') - g * interval '3 hours' AS created,
           (100 + (g * 37) % 4000)::bigint * 100 AS amount,
           CASE WHEN g % 20 = 0 THEN 'draft' WHEN g % 20 = 1 THEN 'void'
                WHEN g % 20 BETWEEN 2 AND 11 THEN 'paid' WHEN g % 20 BETWEEN 12 AND 16 THEN 'issued'
                ELSE 'partially_paid' END AS status
) AS x
"""

LINE_ITEMS_SQL = """
INSERT INTO "InvoiceLineItem" ("tenantId", "invoiceId", position, description, quantity, "unitPriceCents",
                               "amountCents", "createdAt", "updatedAt")
SELECT i."tenantId", i.id, p, CASE p WHEN 0 THEN 'Puppy, balance' ELSE 'Vaccinations and microchip' END, 1,
       CASE p WHEN 0 THEN i."amountCents" - i."amountCents" / 4 ELSE i."amountCents" / 4 END,
       CASE p WHEN 0 THEN i."amountCents" - i."amountCents" / 4 ELSE i."amountCents" / 4 END,
       i."createdAt", i."createdAt"
FROM "Invoice" i CROSS JOIN generate_series(0, 1) p
WHERE i."clientPartyId" = :party_id
"""

PAYMENTS_SQL = """
INSERT INTO "Payment" ("tenantId", "invoiceId", "amountCents", status, method, "paidAt", "createdAt", "updatedAt")
SELECT "tenantId", id, "amountCents" - "balanceCents", 'succeeded', 'card', "issuedAt" + interval '3 days',
       "createdAt", "createdAt"
FROM "Invoice" WHERE "clientPartyId" = :party_id AND status IN ('paid', 'partially_paid')
"""


def _tenant_id(slug: str) -> int | None:
    return db.session.scalar(select(Tenant.id).where(Tenant.slug == slug))


def _new_tenant(slug: str, name: str) -> int:
    return _scalar(NEW_TENANT, slug=slug, name=name)


def _sales_tenant(slug: str, count: int, *, with_seller: bool) -> None:
    """One breeder with `count` sales (its parties; with_seller: the verified seller, buyers and listings)."""
    tenant_id = _new_tenant(slug, f"Bench {slug}")
    _run(PARTIES, tenant_id=tenant_id, slug=slug, count=PARTIES_PER_TENANT)
    first_party = _scalar('SELECT min(id) FROM "Party" WHERE "tenantId" = :t', t=tenant_id)
    seller_id = first_client = first_listing = 0
    if with_seller:
        seller_id = _scalar(
            NEW_USER,
            email=SELLER_EMAIL,
            first_name="Seller",
            user_type="service_provider",
            tenant_id=tenant_id,
            verified=True,
        )
        _run(CLIENT_USERS_SQL, count=CLIENT_USERS)
        first_client = _scalar(
            """SELECT min(id) FROM "MarketplaceUser" WHERE email LIKE 'salesbench-client-%'"""
        )
        _run(LISTINGS_SQL, seller_id=seller_id, count=LISTINGS)
        first_listing = _scalar(
            'SELECT min(id) FROM "ServiceListing" WHERE provider_user_id = :s', s=seller_id
        )
    _run(
        SALES_SQL,
        tenant_id=tenant_id,
        seller_id=seller_id or None,
        first_party=first_party,
        parties=PARTIES_PER_TENANT,
        first_client=first_client,
        clients=CLIENT_USERS,
        first_listing=first_listing,
        listings=LISTINGS,
        days=DAYS,
        count=count,
    )
    _run(SALE_INVOICES_SQL, tenant_id=tenant_id, prefix=f"{slug.upper()}-M")


def _buyer_with_breeders() -> None:
    """The buyer, linked to a contact at each of BREEDERS breeders, each with its share of the invoices (and
    another client's invoices beside them)."""
    buyer_id = _scalar(
        NEW_USER,
        email=BUYER_EMAIL,
        first_name="Buyer",
        user_type="buyer",
        tenant_id=None,
        verified=False,
    )
    for n in range(1, BREEDERS + 1):
        slug = f"{SALES_SLUG}-breeder-{n}"
        tenant_id = _new_tenant(slug, f"Bench Breeder {n}")
        _run(PARTIES, tenant_id=tenant_id, slug=slug, count=2)
        mine, other = db.session.execute(
            text('SELECT id FROM "Party" WHERE "tenantId" = :t ORDER BY id'), {"t": tenant_id}
        ).scalars()
        _run(
            """INSERT INTO "Contact" ("tenantId", "partyId", "firstName", "lastName", email, "marketplaceUserId",
                                      "createdAt", "updatedAt")
               VALUES (:t, :p, 'Buyer', 'Bench', :email, :u, now() AT TIME ZONE 'utc', now() AT TIME ZONE 'utc')""",
            t=tenant_id,
            p=mine,
            email=BUYER_EMAIL,
            u=buyer_id,
        )
        for party_id, prefix, count in (
            (mine, f"B{n}-", BUYER_INVOICES // BREEDERS),
            (other, f"B{n}-O-", OTHER_CLIENT_INVOICES),
        ):
            _run(INVOICES_SQL, tenant_id=tenant_id, party_id=party_id, prefix=prefix, count=count)
            _run(LINE_ITEMS_SQL, party_id=party_id)
            _run(PAYMENTS_SQL, party_id=party_id)


def generate() -> None:
    stages: list[tuple[str, Callable[[], bool], Callable[[], None]]] = [
        (
            f"{SALES:,} sales of {SALES_SLUG}",
            lambda: _tenant_id(SALES_SLUG) is not None,
            lambda: _sales_tenant(SALES_SLUG, SALES, with_seller=True),
        )
    ]
    for n in range(1, NOISE_TENANTS + 1):
        slug = f"{SALES_SLUG}-noise-{n}"
        stages.append(
            (
                f"{NOISE_SALES:,} sales of {slug}",
                lambda slug=slug: _tenant_id(slug) is not None,
                lambda slug=slug: _sales_tenant(slug, NOISE_SALES, with_seller=False),
            )
        )
    stages.append(
        (
            f"the buyer with {BUYER_INVOICES:,} invoices at {BREEDERS} breeders",
            lambda: (
                db.session.scalar(select(MarketplaceUser.id).where(MarketplaceUser.email == BUYER_EMAIL))
                is not None
            ),
            _buyer_with_breeders,
        )
    )
    loaded = False
    for label, present, load in stages:
        if present():
            _log(f"{label}: already present")
            continue
        started = time.perf_counter()
        load()
        db.session.commit()  # one transaction per stage: an interrupted load resumes at this stage
        loaded = True
        _log(f"{label}: generated in {time.perf_counter() - started:.1f} s")
    db.session.rollback()
    if loaded:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as autocommit:
            for table in (
                "Tenant",
                "Party",
                "Contact",
                "MarketplaceUser",
                "ServiceListing",
                "MarketplaceTransaction",
                "Invoice",
                "InvoiceLineItem",
                "Payment",
            ):
                autocommit.execute(text(f'VACUUM ANALYZE "{table}"'))
        _log("VACUUM ANALYZE done")


# --- signed-in clients, statements, plans -------------------------------------------------------------------------


def _signed_in(app: Flask, email: str) -> FlaskClient:
    user = db.session.scalars(select(MarketplaceUser).where(MarketplaceUser.email == email)).one()
    identity = SignedIn("marketplace", user).get_id()
    db.session.rollback()
    client = app.test_client()
    now = datetime.now(UTC).timestamp()
    with client.session_transaction() as session:
        session.update({"_user_id": identity, "_fresh": True, "auth_at": now, "seen_at": now})
        session.permanent = True
    return client


def _get(client: FlaskClient, path: str) -> str:
    """The whole response (a streamed CSV is read to its end), which must be a 200."""
    response = client.get(path)
    body = response.get_data(as_text=True)
    assert response.status_code == 200, (path, response.status_code, body[:300])
    return body


TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


def _statements(engine: Engine, client: FlaskClient, path: str) -> list[tuple[str, object]]:
    """The statements one request sends, with their parameters (tests/query_count.py's listener). Called
    outside any app context: a request inside one would share its session (and tenant) with the caller."""
    captured: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            captured.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        _get(client, path)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return captured


def _summary(statement: str) -> str:
    """A statement in one line: what it reads, roughly (for the per-page list)."""
    flat = " ".join(statement.split())
    tables = sorted(set(re.findall(r'FROM "(\w+)"|JOIN "(\w+)"', flat)) - {("", "")})
    names = sorted({a or b for a, b in tables})
    head = flat.split(" FROM ", 1)[0][:60]
    return f"{head}{'…' if len(head) == 60 else ''}  [{', '.join(names)}]"


def _print_counts(label: str, statements: list[tuple[str, object]]) -> None:
    print(f"\n{label}: {len(statements)} statements")
    for statement, _ in statements:
        print(f"    {_summary(statement)}")


KEEP = (
    "->",
    "Sort Method",
    "Sort Key",
    "Presorted Key",
    "Index Cond",
    "Rows Removed",
    "Buffers",
    "Planning Time",
    "Execution Time",
)


def _explain(label: str, statement: str, parameters: object, *, full: bool = False) -> list[str]:
    plan = [
        row[0]
        for row in db.session.connection().exec_driver_sql(
            "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters
        )
    ]
    db.session.rollback()
    print(f"\n--- EXPLAIN {label}")
    shown = plan if full else [plan[0]] + [line for line in plan[1:] if any(k in line for k in KEEP)]
    for line in shown:
        print("    " + line[:160])
    return plan


INVOICE_QUERIES = (
    ('sum("Invoice"."balanceCents")', "balance due per breeder"),
    ("LATERAL", "newest invoices per breeder (LATERAL)"),
    ("count(*)", "nav badge: open invoices"),
    ('"Invoice".id = ', "the invoice, if the user's"),
)


def _explain_sales(label: str, statements: list[tuple[str, object]], seen: set[str]) -> None:
    """The page and totals statements of a sales list request; a statement already explained is named only."""
    for statement, parameters in statements:
        if '"MarketplaceTransaction"' not in statement:
            continue
        kind = "totals" if "count(*)" in statement else "page"
        key = statement + repr(sorted(dict(parameters or {}).items()))
        if key in seen:
            print(f"\n--- EXPLAIN {label} — {kind}: the same statement as above")
            continue
        seen.add(key)
        _explain(f"{label} — {kind}", statement, parameters)


def _explain_invoices(label: str, statements: list[tuple[str, object]]) -> None:
    for statement, parameters in statements:
        kind = next((name for marker, name in INVOICE_QUERIES if marker in statement), None)
        if kind is not None and '"Invoice"' in statement:
            _explain(f"{label} — {kind}", statement, parameters)


# --- the bench ----------------------------------------------------------------------------------------------------


def main() -> None:
    app = bench_app()
    with app.app_context():
        generate()
        tenant_id = _tenant_id(SALES_SLUG)
        count, months = db.session.execute(
            text(
                """SELECT count(*), count(DISTINCT date_trunc('month', transaction_date))
                   FROM "MarketplaceTransaction" WHERE provider_tenant_id = :t"""
            ),
            {"t": tenant_id},
        ).one()
        total = _scalar('SELECT count(*) FROM "MarketplaceTransaction"')
        # A month a year back: ~2,700 sales of the bench breeder.
        month = date.today().replace(day=1)
        month = month.replace(year=month.year - 1)
        in_month = _scalar(
            """SELECT count(*) FROM "MarketplaceTransaction" WHERE provider_tenant_id = :t
               AND transaction_date >= :m AND transaction_date < :m + interval '1 month'""",
            t=tenant_id,
            m=month,
        )
        invoices = _scalar(
            """SELECT count(*) FILTER (WHERE i.status <> 'draft' AND i."deletedAt" IS NULL) || ' of ' || count(*)
               FROM "Invoice" i JOIN "Contact" c ON c."tenantId" = i."tenantId" AND c."partyId" = i."clientPartyId"
               JOIN "MarketplaceUser" u ON u.id = c."marketplaceUserId" WHERE u.email = :e""",
            e=BUYER_EMAIL,
        )
        open_invoice = _scalar(
            """SELECT i.id FROM "Invoice" i
               JOIN "Contact" c ON c."tenantId" = i."tenantId" AND c."partyId" = i."clientPartyId"
               JOIN "MarketplaceUser" u ON u.id = c."marketplaceUserId"
               WHERE u.email = :e AND i.status = 'partially_paid' AND i."deletedAt" IS NULL
               ORDER BY i."createdAt" DESC LIMIT 1""",
            e=BUYER_EMAIL,
        )
        print(
            f"sales: {count:,} of the bench breeder over {months} months ({total:,} in the table); "
            f"{in_month:,} in {month:%Y-%m}; buyer's invoices shown: {invoices}"
        )
        seller = _signed_in(app, SELLER_EMAIL)
        buyer = _signed_in(app, BUYER_EMAIL)
        engine = db.engine

    m = f"{month:%Y-%m}"
    path = "/dashboard/sales"
    first = _get(seller, path)
    listed = _get(buyer, "/account/invoices")
    rows, breeders = first.count('class="sale-row"'), listed.count('class="breeder-invoices"')
    links = listed.count('href="/account/invoices/')
    print(f"page 1 shows {rows} sales; My invoices shows {breeders} breeders and {links} invoice links")
    page100 = path
    for _ in range(PAGE_DEPTH - 1):
        page100 = html_unescape(OLDER_LINK.search(_get(seller, page100)).group(1))
    scenarios = [
        ("sales list, page 1", path),
        (f"sales list, page {PAGE_DEPTH} (Older x{PAGE_DEPTH - 1}: {page100.split('after=')[1]})", page100),
        ("sales list, status=pending", f"{path}?status=pending"),
        (f"sales list, month={m}", f"{path}?month={m}"),
        (f"sales list, status=completed & month={m}", f"{path}?status=completed&month={m}"),
        (f"sales CSV, month={m} ({in_month:,} rows)", f"/dashboard/sales.csv?month={m}"),
    ]
    invoice_pages = [
        ("My invoices, list", "/account/invoices"),
        (f"My invoices, invoice {open_invoice}", f"/account/invoices/{open_invoice}"),
    ]
    print()
    for label, url in scenarios:
        time_it(label, lambda url=url: _get(seller, url))
    for label, url in invoice_pages:
        time_it(label, lambda url=url: _get(buyer, url))

    captured = {label: _statements(engine, seller, url) for label, url in scenarios}
    mine = {label: _statements(engine, buyer, url) for label, url in invoice_pages}
    with app.app_context():
        _print_counts("queries per page, sales list page 1", captured[scenarios[0][0]])
        _print_counts(f"queries per page, sales list page {PAGE_DEPTH}", captured[scenarios[1][0]])
        _print_counts(f"queries, CSV of {m} ({in_month:,} rows)", captured[scenarios[5][0]])
        for label, statements in mine.items():
            _print_counts(f"queries per page, {label}", statements)

        seen: set[str] = set()
        for label, _ in scenarios[:5]:
            _explain_sales(label, captured[label], seen)
        for label, statements in mine.items():
            _explain_invoices(label, statements)
