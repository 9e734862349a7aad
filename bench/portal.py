"""Portal bench: one client with 100,000 invoices in one tenant (plus other tenants' noise), list page timings.

`python -m bench.run portal` (BENCH_DATABASE_URL picks the server). Data is generated once, in SQL.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select, text

from app.auth import SignedIn
from app.extensions import db
from app.passwords import hash_password
from bench.common import bench_app, time_it
from models import ALL_TENANTS, Contact, Party, Tenant

SLUG = "bench-portal"
INVOICES = 100_000
NOISE_TENANTS = 3
NOISE_INVOICES_PER_TENANT = 50_000

# Status mix per 20 invoices: 1 draft, 2 void, 9 paid, 5 issued, 3 partially paid. Every 50th is soft-deleted.
# Issued and partially paid ones fall due 30 days after creation, so the older ones are overdue.
GENERATE_INVOICES = """
INSERT INTO "Invoice" ("tenantId", "clientPartyId", number, status, "amountCents", "balanceCents",
                       "depositCents", currency, "issuedAt", "dueAt", "createdAt", "updatedAt", "deletedAt",
                       "isMarketplaceInvoice")
SELECT :tenant_id, :party_id, :prefix || i,
       s.status,
       10000 + (i % 997) * 100,
       CASE s.status WHEN 'paid' THEN 0 WHEN 'void' THEN 0
                     WHEN 'partially_paid' THEN (10000 + (i % 997) * 100) / 2
                     ELSE 10000 + (i % 997) * 100 END,
       CASE WHEN i % 7 = 0 THEN 5000 END,
       'USD',
       CASE WHEN s.status = 'draft' THEN NULL ELSE created END,
       CASE WHEN s.status = 'draft' THEN NULL ELSE created + interval '30 days' END,
       created, created,
       CASE WHEN i % 50 = 0 THEN created END,
       i % 40 = 0
FROM generate_series(1, :count) AS i
CROSS JOIN LATERAL (SELECT (now() AT TIME ZONE 'utc') - (i * interval '7 minutes') AS created) AS c
CROSS JOIN LATERAL (
    SELECT CASE
        WHEN i % 20 = 0 THEN 'draft'
        WHEN i % 20 IN (1, 2) THEN 'void'
        WHEN i % 20 BETWEEN 3 AND 11 THEN 'paid'
        WHEN i % 20 BETWEEN 12 AND 16 THEN 'issued'
        ELSE 'partially_paid' END AS status
) AS s
"""

GENERATE_PAYMENTS = """
INSERT INTO "Payment" ("tenantId", "invoiceId", "amountCents", status, method, "paidAt", "createdAt", "updatedAt")
SELECT "tenantId", id, "amountCents" - "balanceCents", 'succeeded', 'card',
       "issuedAt" + interval '3 days', "createdAt", "createdAt"
FROM "Invoice"
WHERE "tenantId" = :tenant_id AND status IN ('paid', 'partially_paid')
"""


def _tenant_with_client(slug: str) -> tuple[Tenant, Party, Contact]:
    tenant = Tenant(slug=slug, name=f"Bench {slug}")
    db.session.add(tenant)
    db.session.flush()
    party = Party(tenant_id=tenant.id, type="person", name="Bench Client", email=f"client@{slug}.test")
    db.session.add(party)
    db.session.flush()
    contact = Contact(
        tenant_id=tenant.id,
        party_id=party.id,
        first_name="Bench",
        last_name="Client",
        email=party.email,
        portal_enabled=True,
        portal_password_hash=hash_password("bench-password-123"),
    )
    db.session.add(contact)
    db.session.flush()
    return tenant, party, contact


def generate() -> None:
    if db.session.scalar(select(Tenant.id).where(Tenant.slug == SLUG)) is not None:
        print("(bench data already present)")
        return
    tenants = [(SLUG, INVOICES)] + [
        (f"{SLUG}-noise-{n}", NOISE_INVOICES_PER_TENANT) for n in range(NOISE_TENANTS)
    ]
    for slug, count in tenants:
        tenant, party, _contact = _tenant_with_client(slug)
        db.session.execute(
            text(GENERATE_INVOICES),
            {"tenant_id": tenant.id, "party_id": party.id, "prefix": f"{slug.upper()}-", "count": count},
        )
        db.session.execute(text(GENERATE_PAYMENTS), {"tenant_id": tenant.id})
    db.session.commit()
    for table in ("Invoice", "Payment", "Contact", "Party", "Tenant"):
        db.session.execute(text(f'ANALYZE "{table}"'))
    db.session.commit()
    print(f"generated {INVOICES:,} invoices for one client, plus {NOISE_TENANTS} noise tenants")


def _signed_in_client(app: Flask) -> FlaskClient:
    contact = db.session.scalars(
        select(Contact)
        .join(Tenant, Contact.tenant_id == Tenant.id)
        .where(Tenant.slug == SLUG)
        .execution_options(**{ALL_TENANTS: True})
    ).one()
    client = app.test_client()
    now = datetime.now(UTC).timestamp()
    with client.session_transaction() as session:
        session["_user_id"] = SignedIn("contact", contact).get_id()
        session["auth_at"] = now
        session["seen_at"] = now
        session.permanent = True
    return client


def _captured_queries(client: FlaskClient, url: str) -> list[tuple[str, dict]]:
    captured: list[tuple[str, dict]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:
        captured.append((statement, dict(parameters or {})))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return captured


def _explain(statement: str, parameters: dict) -> str:
    with db.engine.connect() as connection:
        rows = connection.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters).scalars()
        return "\n".join(rows)


def main() -> None:
    app = bench_app()
    with app.app_context():
        generate()
        client = _signed_in_client(app)
    base = f"/portal/{SLUG}/invoices"
    with app.app_context():
        visible = db.session.scalar(
            text(
                'SELECT count(*) FROM "Invoice" i JOIN "Tenant" t ON t.id = i."tenantId" '
                "WHERE t.slug = :slug AND i.status <> 'draft' AND i.\"deletedAt\" IS NULL"
            ),
            {"slug": SLUG},
        )
    print(f"visible invoices for the bench client: {visible:,} ({-(-visible // 20):,} pages of 20)")
    checks = [
        ("list, first page (all)", base),
        ("list, deep page (all, last page)", f"{base}?page={-(-visible // 20)}"),
        ("list, page 100 (all)", f"{base}?page=100"),
        ("list, htmx filter swap (overdue)", f"{base}?status=overdue"),
    ]
    checks += [
        (f"list, first page ({name})", f"{base}?status={name}")
        for name in ("open", "overdue", "paid", "void")
    ]
    checks += [("invoice detail", None), ("payments, first page", f"/portal/{SLUG}/payments")]

    with app.test_request_context():
        for label, url in checks:
            if url is None:
                continue
            headers = {"HX-Request": "true"} if "htmx" in label else {}
            time_it(label, lambda url=url, headers=headers: client.get(url, headers=headers))

    with app.app_context():
        queries = _captured_queries(client, base)
        print(f"\nSQL statements for the list page: {len(queries)}")
        for statement, parameters in queries:
            if '"Invoice"' not in statement:
                continue
            print("\n--", statement.split("\n", 1)[0][:100], "...")
            print(_explain(statement, parameters))
        deep = _captured_queries(client, f"{base}?page={-(-visible // 20)}")
        for statement, parameters in deep:
            if "OFFSET" in statement:
                print("\n-- deep page list query")
                print(_explain(statement, parameters))
