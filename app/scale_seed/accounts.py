"""Stage 1: breeders (tenants), their clients (Party + Contact, portal enabled) and the marketplace accounts."""

from __future__ import annotations

import random

import psycopg

from app.scale_seed import words
from app.scale_seed.loader import NULL, Clock, Stage
from app.scale_seed.plan import CLIENTS_PER_TENANT, SeedPlan

LABEL = "accounts"
TABLES = ("Tenant", "Party", "Contact", "MarketplaceUser")
DOMAIN = "scale.example"
HEAVY_TENANT_SLUG = "scale-0001"
HEAVY_CLIENT_EMAIL = f"heavy-client@{DOMAIN}"
HEAVY_SELLER_EMAIL = f"heavy-seller@{DOMAIN}"
HEAVY_BUYER_EMAIL = f"heavy-buyer@{DOMAIN}"
TENANT_SLUG_PATTERN = "^scale-[0-9]+$"
THREE_YEARS = 3 * 365 * 86_400


def tenant_slug(index: int) -> str:
    return f"scale-{index + 1:04d}"


def provider_email(index: int) -> str:
    return f"provider-{index + 1:05d}@{DOMAIN}"


def buyer_email(index: int) -> str:
    return f"buyer-{index + 1:06d}@{DOMAIN}"


def rows(plan: SeedPlan) -> dict[str, int]:
    return {
        "Tenant": plan.tenants,
        "Party": plan.parties,
        "Contact": plan.parties,
        "MarketplaceUser": plan.marketplace_users,
    }


def loaded(conn: psycopg.Connection) -> bool:
    return conn.execute('SELECT 1 FROM "Tenant" WHERE slug = %s', (HEAVY_TENANT_SLUG,)).fetchone() is not None


def mismatch(conn: psycopg.Connection, plan: SeedPlan) -> str | None:
    tenants = conn.execute(
        'SELECT count(*) FROM "Tenant" WHERE slug ~ %s', (TENANT_SLUG_PATTERN,)
    ).fetchone()[0]  # type: ignore[index]
    if tenants != plan.tenants:
        return f"the database already holds {tenants:,} scale tenants, not {plan.tenants:,}"
    users = conn.execute(
        'SELECT count(*) FROM "MarketplaceUser" WHERE email LIKE %s', (f"%@{DOMAIN}",)
    ).fetchone()[0]  # type: ignore[index]
    if users != plan.marketplace_users:
        return (
            f"the database already holds {users:,} scale marketplace accounts, not the {plan.marketplace_users:,} "
            "these --listings and --threads need"
        )
    return None


def _person(index: int) -> tuple[str, str]:
    return words.FIRST_NAMES[index % 20], words.LAST_NAMES[(index // 20 + index * 7) % 20]


def _phone(index: int) -> str:
    return f"(555) {100 + index // 10_000 % 900:03d}-{index % 10_000:04d}"


def load(stage: Stage, plan: SeedPlan, clock: Clock, password_hash: str) -> None:
    rng = random.Random(1)
    first_tenant = stage.reserve_ids("Tenant", plan.tenants)
    first_party = stage.reserve_ids("Party", plan.parties)
    now = clock.ago(0)

    tenant_lines = []
    for index in range(plan.tenants):
        name = " ".join(
            (
                words.KENNEL_FIRST[index % 20],
                words.KENNEL_SECOND[(index // 20) % 10],
                words.KENNEL_KIND[(index // 200) % 5],
            )
        )
        created = clock.ago(rng.randrange(THREE_YEARS))
        tenant_lines.append(f"{first_tenant + index}\t{name}\t{tenant_slug(index)}\t{created}\t{now}\n")
    stage.copy("Tenant", ("id", "name", "slug", "createdAt", "updatedAt"), tenant_lines)

    party_lines, contact_lines = [], []
    for index in range(plan.parties):
        tenant_index, client = divmod(index, CLIENTS_PER_TENANT)
        tenant_id, party_id = first_tenant + tenant_index, first_party + index
        if index == 0:
            first, last, email = "Heavy", "Client", HEAVY_CLIENT_EMAIL
        else:
            first, last = _person(index)
            email = f"client-{tenant_index + 1:04d}-{client + 1:02d}@{DOMAIN}"
        organization = client % 10 == 9
        party_name = f"{last} Family Kennels" if organization else f"{first} {last}"
        created = clock.ago(rng.randrange(THREE_YEARS))
        phone = _phone(index)
        kind = "organization" if organization else "person"
        party_lines.append(
            f"{party_id}\t{tenant_id}\t{kind}\t{party_name}\t{email}\t{phone}\t{created}\t{now}\n"
        )
        contact_lines.append(
            f"{tenant_id}\t{party_id}\t{first}\t{last}\t{email}\t{phone}\t{created}\t{now}\tt\t{password_hash}\n"
        )
    stage.copy(
        "Party", ("id", "tenantId", "type", "name", "email", "phone", "createdAt", "updatedAt"), party_lines
    )
    stage.copy(
        "Contact",
        (
            "tenantId", "partyId", "firstName", "lastName", "email", "phone", "createdAt", "updatedAt",
            "portalEnabled", "portalPasswordHash",
        ),
        contact_lines,
    )  # fmt: skip

    def user(email: str, first: str, last: str, kind: str, tenant: str = NULL) -> str:
        created = clock.ago(rng.randrange(THREE_YEARS))
        verified_tenant = "f" if tenant == NULL else "t"
        return (
            f"{email}\tt\t{password_hash}\t{first}\t{last}\t{kind}\t{tenant}\t{verified_tenant}\tactive\t"
            f"{created}\t{now}\n"
        )

    # Ids in this order (the later stages read them back by e-mail, in id order).
    def users():
        yield user(HEAVY_SELLER_EMAIL, "Heavy", "Seller", "service_provider", str(first_tenant))
        for index in range(plan.other_providers):
            first, last = _person(index + 7)
            yield user(provider_email(index), first, last, "both" if index % 3 == 0 else "service_provider")
        yield user(HEAVY_BUYER_EMAIL, "Heavy", "Buyer", "buyer")
        for index in range(plan.buyers):
            first, last = _person(index + 3)
            yield user(buyer_email(index), first, last, "buyer")

    stage.copy(
        "MarketplaceUser",
        (
            "email", "email_verified", "password_hash", "first_name", "last_name", "user_type", "tenant_id",
            "tenant_verified", "status", "created_at", "updated_at",
        ),
        users(),
    )  # fmt: skip
