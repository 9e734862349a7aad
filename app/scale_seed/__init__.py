"""`flask --app wsgi seed-scale`: the one way to make data at scale, for the bench and for trying the app on big data.

Four stages, each one transaction loaded through COPY as the tables' owner (app/scale_seed/loader.py says how):
accounts (tenants, clients, marketplace users), invoices (with line items and payments), listings, and messages
(threads and their messages). A stage that finished is recognised by its rows and skipped, so a second run
resumes where the first stopped and never loads anything twice; one whose numbers differ from the options given
stops the command before anything is written. The defaults are the full run: 1,000 tenants, 1,000,000 invoices,
1,000,000 listings, 500,000 threads and 10,000,000 messages (docs/performance.md, "Data at scale", has its timings).

CONTRACT (the bench and the docs rely on these names; keep them):
- Every seeded account that can sign in (each portal Contact, each MarketplaceUser) has the password given by
  `--password` (default DEFAULT_PASSWORD, "scale-pass-2026"), hashed once by app/passwords.py; marketplace users
  are e-mail verified and active; nobody has two-factor sign-in. Every e-mail ends in "@scale.example".
- Tenant slug HEAVY_TENANT_SLUG ("scale-0001", one of the tenants "scale-0001".."scale-1000"): Contact
  HEAVY_CLIENT_EMAIL ("heavy-client@scale.example"), the client (Party) of `--heavy-client-invoices` (default
  10,000) invoices with line items and payments, in every status (few drafts), so the portal lists nearly all.
- MarketplaceUser HEAVY_SELLER_EMAIL ("heavy-seller@scale.example"): a provider (linked to scale-0001) with 200
  listings and `--heavy-seller-threads` (default 5,000) conversations in the inbox, some unread. The first of them
  is with HEAVY_BUYER_EMAIL ("heavy-buyer@scale.example") and holds `--long-thread-messages` (default 5,000)
  messages; it is the heavy seller's most recent conversation.
- Listings: realistic breeder services (ten categories, eighteen breeds, real ZIP codes with their city and
  state), all active and published. BROAD_QUERY ("golden retriever") matches 78 in every 1,000 listings
  (78,000 of 1,000,000); NARROW_QUERY ("xoloitzcuintli") matches one in 25,000 (40 of 1,000,000, and always
  at least one).
"""

from __future__ import annotations

import time
from types import ModuleType

from tqdm import tqdm

from app.scale_seed import accounts, billing, listings, messaging, words
from app.scale_seed.lanes import load, run_lanes
from app.scale_seed.loader import Clock, SeedError, connect, require_owner
from app.scale_seed.plan import PlanError, SeedPlan
from models.types import INT4_MAX, utcnow

DEFAULT_PASSWORD = "scale-pass-2026"  # noqa: S105 - published seed credential, documented in the README
HEAVY_TENANT_SLUG = accounts.HEAVY_TENANT_SLUG
HEAVY_CLIENT_EMAIL = accounts.HEAVY_CLIENT_EMAIL
HEAVY_SELLER_EMAIL = accounts.HEAVY_SELLER_EMAIL
HEAVY_BUYER_EMAIL = accounts.HEAVY_BUYER_EMAIL
BROAD_QUERY = "golden retriever"
NARROW_QUERY = words.NARROW_BREED.lower()

STAGES: tuple[ModuleType, ...] = (accounts, billing, listings, messaging)
__all__ = ["DEFAULT_PASSWORD", "PlanError", "SeedError", "SeedPlan", "seed_scale"]


def _check_room_for_ids(conn, pending: list[ModuleType], plan: SeedPlan) -> None:
    for module in pending:
        for table, count in module.rows(plan).items():
            last = conn.execute(
                "SELECT coalesce((SELECT last_value FROM pg_sequences WHERE schemaname = 'public' "
                "AND sequencename = %s), 0)",
                (f"{table}_id_seq",),
            ).fetchone()[0]
            if last + count > INT4_MAX:
                raise SeedError(
                    f'"{table}" has room for {INT4_MAX - last:,} more ids, not {count:,}: seed fewer rows.'
                )


def seed_scale(plan: SeedPlan, owner_url: str, password_hash: str) -> list[str]:
    """Load every stage not loaded yet; return the labels of those that were already there.

    After the accounts, the invoices load in one process while the listings and then the messages load in
    another (app/scale_seed/lanes.py): the stages share no table they write."""
    started = time.perf_counter()
    with connect(owner_url) as conn:
        require_owner(conn, [table for module in STAGES for table in module.TABLES])
        done = [module for module in STAGES if module.loaded(conn)]
        for module in done:
            problem = module.mismatch(conn, plan)
            if problem:
                raise SeedError(
                    f"Not seeding: {problem} (stage {module.LABEL} was loaded with other options). Use the same "
                    "options, or a fresh database."
                )
        pending = [module for module in STAGES if module not in done]
        _check_room_for_ids(conn, pending, plan)
    clock = Clock(utcnow())
    if accounts in pending:
        load(owner_url, [accounts], plan, clock, password_hash)
    lanes = [[module for module in lane if module in pending] for lane in ([billing], [listings, messaging])]
    run_lanes(owner_url, [lane for lane in lanes if lane], plan, clock, password_hash)
    if pending:
        tqdm.write(f"seed-scale: {len(pending)} stage(s) loaded in {time.perf_counter() - started:.1f} s")
    return [module.LABEL for module in done]
