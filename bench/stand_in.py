"""The rows the bench looks for, at a small size: the harness's test, and a bench before `seed-scale` has run.

The same names and password as `flask --app wsgi seed-scale` (the CONTRACT below), so bench/targets.py finds
either. Never a stand-in for the figures in docs/performance.md: those are measured on seed-scale's data.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from argon2 import PasswordHasher

from bench.common import libpq

PASSWORD = "scale-pass-2026"
TENANT_SLUG = "scale-0001"
HEAVY_CLIENT = "heavy-client@scale.example"
HEAVY_SELLER = "heavy-seller@scale.example"
HEAVY_BUYER = "heavy-buyer@scale.example"
BROAD_QUERY = "golden retriever"
NARROW_QUERY = "xoloitzcuintli"  # seed-scale's NARROW_QUERY (app/scale_seed), one listing in 25,000 there


@dataclass(frozen=True)
class Sizes:
    invoices: int = 2_000
    listings: int = 20_000
    threads: int = 300
    long_thread_messages: int = 5_000


TINY = Sizes(invoices=60, listings=200, threads=12, long_thread_messages=60)

_USER = """
INSERT INTO "MarketplaceUser" (email, password_hash, first_name, last_name, user_type, status, email_verified,
                               created_at, updated_at)
VALUES (%(email)s, %(hash)s, %(first)s, 'Scale', 'both', 'active', true, now(), now())
RETURNING id
"""

_LISTINGS = """
INSERT INTO "ServiceListing" (provider_user_id, title, description, category, price_cents, price_type, status,
                              state, city, published_at, created_at, updated_at)
SELECT %(seller)s,
       CASE WHEN g %% 13 = 0 THEN 'Golden Retriever grooming ' || g
            WHEN g %% 97 = 0 THEN 'Xoloitzcuintli whelping help ' || g
            ELSE 'Labrador training ' || g END,
       'Stand-in listing ' || g || '. Weekend visits, references on request.',
       (ARRAY['grooming','training','boarding','transport'])[1 + g %% 4],
       2000 + (g %% 300) * 100, 'fixed', 'active',
       (ARRAY['TX','CA','NY','OH'])[1 + (g / 4) %% 4], 'Austin',
       now() - g * interval '1 minute', now() - g * interval '1 minute', now()
FROM generate_series(1, %(count)s) AS g
"""

_THREADS = """
INSERT INTO "MessageThread" (listing_id, buyer_user_id, seller_user_id, subject, status, created_at,
                             last_message_at)
SELECT l.id, %(buyer)s, %(seller)s, 'Stand-in thread', 'active', now() - l.n * interval '1 hour',
       now() - l.n * interval '1 hour'
FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM "ServiceListing" WHERE provider_user_id = %(seller)s
      ORDER BY id LIMIT %(count)s) AS l
"""

_MESSAGES = """
INSERT INTO "Message" (thread_id, sender_user_id, message_text, read_at, created_at)
SELECT %(thread)s, CASE WHEN s %% 2 = 0 THEN %(buyer)s ELSE %(seller)s END,
       'Stand-in message ' || s || '. Is Saturday still free for the visit?', now(),
       now() - (%(count)s - s) * interval '1 minute'
FROM generate_series(1, %(count)s) AS s
"""

_INVOICES = """
INSERT INTO "Invoice" ("tenantId", "clientPartyId", number, status, "amountCents", "balanceCents", currency,
                       "issuedAt", "dueAt", "createdAt", "updatedAt")
SELECT %(tenant)s, %(party)s, 'INV-' || g, (ARRAY['issued','paid','partially_paid'])[1 + g %% 3],
       10000 + g, CASE WHEN g %% 3 = 1 THEN 0 ELSE 10000 + g END, 'USD',
       now() - g * interval '1 hour', now() - g * interval '1 hour' + interval '30 days',
       now() - g * interval '1 hour', now()
FROM generate_series(1, %(count)s) AS g
"""


def load(owner_url: str, sizes: Sizes = Sizes()) -> None:
    """Load the named accounts and their rows; does nothing when the heavy client is already there."""
    with psycopg.connect(libpq(owner_url)) as conn:
        conn.execute("SELECT set_config('app.cross_tenant', 'bench stand-in data', false)")
        if conn.execute('SELECT 1 FROM "Contact" WHERE email = %s', (HEAVY_CLIENT,)).fetchone():
            return
        password = PasswordHasher().hash(PASSWORD)  # production's profile, as the app's own hashes
        users = {
            email: conn.execute(_USER, {"email": email, "hash": password, "first": first}).fetchone()[0]  # type: ignore[index]
            for email, first in ((HEAVY_SELLER, "Heavy seller"), (HEAVY_BUYER, "Heavy buyer"))
        }
        seller, buyer = users[HEAVY_SELLER], users[HEAVY_BUYER]
        conn.execute(_LISTINGS, {"seller": seller, "count": sizes.listings})
        conn.execute(_THREADS, {"seller": seller, "buyer": buyer, "count": sizes.threads})
        long_thread = conn.execute(
            'SELECT min(id) FROM "MessageThread" WHERE seller_user_id = %s', (seller,)
        ).fetchone()[0]  # type: ignore[index]
        conn.execute(
            _MESSAGES,
            {"thread": long_thread, "buyer": buyer, "seller": seller, "count": sizes.long_thread_messages},
        )
        tenant = conn.execute(
            """INSERT INTO "Tenant" (name, slug, "createdAt", "updatedAt")
               VALUES ('Scale breeder 1', %s, now(), now()) RETURNING id""",
            (TENANT_SLUG,),
        ).fetchone()[0]  # type: ignore[index]
        party = conn.execute(
            """INSERT INTO "Party" ("tenantId", type, name, email, "createdAt", "updatedAt")
               VALUES (%s, 'person', 'Heavy Client', %s, now(), now()) RETURNING id""",
            (tenant, HEAVY_CLIENT),
        ).fetchone()[0]  # type: ignore[index]
        conn.execute(
            """INSERT INTO "Contact" ("tenantId", "partyId", "firstName", "lastName", email, "portalEnabled",
                                      "portalPasswordHash", "createdAt", "updatedAt")
               VALUES (%s, %s, 'Heavy', 'Client', %s, true, %s, now(), now())""",
            (tenant, party, HEAVY_CLIENT, password),
        )
        conn.execute(_INVOICES, {"tenant": tenant, "party": party, "count": sizes.invoices})
        conn.commit()
        conn.autocommit = True
        for table in ("ServiceListing", "MessageThread", "Message", "Invoice"):
            conn.execute(f'ANALYZE "{table}"')
