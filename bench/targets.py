"""What the bench asks for: the seeded accounts (by their contract names) and ids found by SQL at start.

Nothing is hard-coded but the contract's names: the ids differ with every load of the data.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlencode

import psycopg

from app.database_roles import libpq_url
from app.scale_seed import (
    HEAVY_BUYER_EMAIL,
    HEAVY_CLIENT_EMAIL,
    HEAVY_SELLER_EMAIL,
    HEAVY_TENANT_SLUG,
    NARROW_QUERY,
    STAGES,
)
from app.scale_seed.loader import connect
from marketplace.browse.forms import Cursor
from models.billing import CLIENT_VISIBLE_STATUSES

DEEP_ROWS = int(os.environ.get("BENCH_DEEP_ROWS", "10000"))


def narrow_query() -> str:
    """BENCH_NARROW_QUERY, else seed-scale's NARROW_QUERY."""
    return os.environ.get("BENCH_NARROW_QUERY") or NARROW_QUERY


@dataclass(frozen=True)
class Targets:
    tenant_slug: str
    thread_id: int
    thread_messages: int
    invoice_id: int
    invoices: int
    listing_id: int
    category: str
    deep_after: str  # an encoded browse cursor DEEP_ROWS into the filtered results
    deep_rows: int
    narrow_query: str

    def browse_query(self, **extra: str) -> str:
        return urlencode({"category": self.category, **extra})


def _one(conn: psycopg.Connection, sql: str, *params: object) -> tuple:
    row = conn.execute(sql, params).fetchone()  # type: ignore[arg-type]
    if row is None or row[0] is None:
        raise LookupError(sql.split("\n")[0])
    return tuple(row)


def seeded(owner_url: str) -> bool:
    """Every stage of seed-scale loaded; after an interrupted run, False, and seed-scale resumes it."""
    with connect(libpq_url(owner_url)) as conn:
        return all(stage.loaded(conn) for stage in STAGES)


def find(owner_url: str) -> Targets:
    with psycopg.connect(libpq_url(owner_url)) as conn:
        conn.execute("SELECT set_config('app.cross_tenant', 'bench looks for its data', false)")
        seller, buyer = (
            _one(conn, 'SELECT id FROM "MarketplaceUser" WHERE email = %s', email)[0]
            for email in (HEAVY_SELLER_EMAIL, HEAVY_BUYER_EMAIL)
        )
        thread_id, thread_messages = _one(
            conn,
            """SELECT t.id, (SELECT count(*) FROM "Message" m WHERE m.thread_id = t.id) AS messages
               FROM "MessageThread" t WHERE t.seller_user_id = %s AND t.buyer_user_id = %s
               ORDER BY messages DESC LIMIT 1""",
            seller,
            buyer,
        )
        # What the portal shows the client (models/billing.py shown_to_party): never a draft, never deleted.
        shown = [status.value for status in CLIENT_VISIBLE_STATUSES]
        invoice_id, party = _one(
            conn,
            """SELECT i.id, c."partyId" FROM "Contact" c JOIN "Tenant" t ON t.id = c."tenantId"
               JOIN "Invoice" i ON i."clientPartyId" = c."partyId" AND i."deletedAt" IS NULL
                                   AND i.status::text = ANY(%s)
               WHERE c.email = %s AND t.slug = %s ORDER BY i.id DESC LIMIT 1""",
            shown,
            HEAVY_CLIENT_EMAIL,
            HEAVY_TENANT_SLUG,
        )
        (invoices,) = _one(
            conn,
            """SELECT count(*) FROM "Invoice"
               WHERE "clientPartyId" = %s AND "deletedAt" IS NULL AND status::text = ANY(%s)""",
            party,
            shown,
        )
        (listing_id,) = _one(
            conn,
            """SELECT max(id) FROM "ServiceListing" WHERE provider_user_id = %s AND status = 'active'""",
            seller,
        )
        # The busiest category: the filtered browse with the most rows to page through.
        category, matches = _one(
            conn,
            """SELECT category, count(*) FROM "ServiceListing" WHERE status = 'active'
               GROUP BY 1 ORDER BY 2 DESC LIMIT 1""",
        )
        depth = min(DEEP_ROWS, max(1, matches - 25))
        # The browse page's "newest" key (marketplace/browse/queries.py SORT_KEYS), as PostgreSQL writes it.
        key, deep_id = _one(
            conn,
            """SELECT k::text, id FROM (
                   SELECT coalesce(published_at, created_at, '-infinity'::timestamp) AS k, id
                   FROM "ServiceListing" WHERE status = 'active' AND category = %s
                   ORDER BY k DESC, id DESC OFFSET %s LIMIT 1) AS deep""",
            category,
            depth - 1,
        )
    return Targets(
        tenant_slug=HEAVY_TENANT_SLUG,
        thread_id=thread_id,
        thread_messages=thread_messages,
        invoice_id=invoice_id,
        invoices=invoices,
        listing_id=listing_id,
        category=category,
        deep_after=Cursor("newest", key, deep_id, depth).encode(),
        deep_rows=depth,
        narrow_query=narrow_query(),
    )
