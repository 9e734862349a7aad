"""Stage 2: invoices with their line items and payments, spread over every breeder's clients, plus the heavy
client's long history. Amounts add up the way the portal reads them: an invoice's amount is its lines' sum and
its balance the amount less its succeeded payments (0 once paid or void); drafts have no dates."""

from __future__ import annotations

import random
from collections.abc import Iterator

import psycopg

from app.scale_seed import words
from app.scale_seed.accounts import DOMAIN, HEAVY_CLIENT_EMAIL, TENANT_SLUG_PATTERN
from app.scale_seed.loader import NULL, Clock, Stage
from app.scale_seed.plan import SeedPlan

LABEL = "invoices"
TABLES = ("Invoice", "InvoiceLineItem", "Payment")
DAY = 86_400
HISTORY = 3 * 365 * DAY
RECENT = 45 * DAY
INVOICES_PER_COPY = 20_000

# (status, weight) for an invoice issued in the last RECENT seconds, and for an older one.
RECENT_STATUSES = (("draft", 10), ("issued", 55), ("partially_paid", 20), ("paid", 15))
OLDER_STATUSES = (("draft", 1), ("issued", 6), ("partially_paid", 5), ("paid", 80), ("void", 8))
NOTES = (
    "Thank you for your business!",
    "Payment due within the terms shown.",
    "Deposit applied to the balance.",
)


def rows(plan: SeedPlan) -> dict[str, int]:
    return {"Invoice": plan.invoices, "InvoiceLineItem": plan.invoices * 4, "Payment": plan.invoices * 2}


def progress_rows(plan: SeedPlan) -> int:
    """The progress bar counts invoices; their lines and payments ride along."""
    return plan.invoices


def _heavy_party(conn: psycopg.Connection) -> int | None:
    row = conn.execute(
        'SELECT c."partyId" FROM "Contact" c JOIN "Tenant" t ON t.id = c."tenantId" WHERE c.email = %s '
        "AND t.slug ~ %s",
        (HEAVY_CLIENT_EMAIL, TENANT_SLUG_PATTERN),
    ).fetchone()
    return None if row is None else row[0]


def loaded(conn: psycopg.Connection) -> bool:
    party = _heavy_party(conn)
    return party is not None and (
        conn.execute('SELECT 1 FROM "Invoice" WHERE "clientPartyId" = %s LIMIT 1', (party,)).fetchone()
        is not None
    )


def mismatch(conn: psycopg.Connection, plan: SeedPlan) -> str | None:
    heavy = conn.execute(
        'SELECT count(*) FROM "Invoice" WHERE "clientPartyId" = %s', (_heavy_party(conn),)
    ).fetchone()[0]  # type: ignore[index]
    if heavy != plan.heavy_client_invoices:
        return f"the heavy client already has {heavy:,} invoices, not {plan.heavy_client_invoices:,}"
    total = conn.execute(
        'SELECT count(*) FROM "Invoice" i JOIN "Tenant" t ON t.id = i."tenantId" WHERE t.slug ~ %s',
        (TENANT_SLUG_PATTERN,),
    ).fetchone()[0]  # type: ignore[index]
    if total != plan.invoices:
        return f"the database already holds {total:,} scale invoices, not {plan.invoices:,}"
    return None


def _clients(conn: psycopg.Connection) -> list[tuple[int, list[int]]]:
    """Every scale tenant with its clients' party ids, in the order stage 1 made them."""
    tenants: dict[int, list[int]] = {}
    for tenant_id, party_id in conn.execute(
        'SELECT p."tenantId", p.id FROM "Party" p JOIN "Tenant" t ON t.id = p."tenantId" '
        "WHERE t.slug ~ %s AND p.email LIKE %s ORDER BY t.slug, p.id",
        (TENANT_SLUG_PATTERN, f"%@{DOMAIN}"),
    ):
        tenants.setdefault(tenant_id, []).append(party_id)
    return list(tenants.items())


def _weighted(pairs: tuple[tuple[str, int], ...]) -> list[str]:
    return [value for value, weight in pairs for _ in range(weight)]


def _plan_invoices(
    plan: SeedPlan, clients: list[tuple[int, list[int]]], heavy_party: int
) -> Iterator[tuple[int, int, int, int]]:
    """(tenant id, party id, number within the tenant, seconds ago) for every invoice, oldest first per tenant.
    The heavy client's invoices are spread evenly through the first tenant's history."""
    others = plan.invoices - plan.heavy_client_invoices
    for tenant_index, (tenant_id, parties) in enumerate(clients):
        count = others // plan.tenants + (1 if tenant_index < others % plan.tenants else 0)
        heavy = plan.heavy_client_invoices if heavy_party in parties else 0
        regular = [party for party in parties if party != heavy_party]
        total = count + heavy
        for number in range(total):
            ago = (total - number) * HISTORY // (total + 1)
            if heavy and (number * heavy) // total != ((number + 1) * heavy) // total:
                party = heavy_party
            else:
                party = regular[number % len(regular)]
            yield tenant_id, party, number + 1, ago


def load(stage: Stage, plan: SeedPlan, clock: Clock, password_hash: str) -> None:
    rng = random.Random(2)
    clients = _clients(stage.conn)
    heavy_party = _heavy_party(stage.conn)
    assert heavy_party is not None
    next_invoice = stage.reserve_ids("Invoice", plan.invoices)
    recent, older = _weighted(RECENT_STATUSES), _weighted(OLDER_STATUSES)
    items = words.LINE_ITEMS
    invoice_lines: list[str] = []
    item_lines: list[str] = []
    payment_lines: list[str] = []

    def flush() -> None:
        stage.copy("Invoice", INVOICE_COLUMNS, invoice_lines, progress=True)
        stage.copy("InvoiceLineItem", ITEM_COLUMNS, item_lines, progress=False)
        stage.copy("Payment", PAYMENT_COLUMNS, payment_lines, progress=False)
        invoice_lines.clear()
        item_lines.clear()
        payment_lines.clear()

    for tenant_id, party_id, number, ago in _plan_invoices(plan, clients, heavy_party):
        invoice_id = next_invoice
        next_invoice += 1
        ago += rng.randrange(3600)
        status = rng.choice(recent if ago < RECENT else older)
        created = clock.ago(ago)
        amount = 0
        for position in range(rng.choice((1, 1, 1, 2, 2, 2, 3, 3, 4, 4))):
            description, low, high = items[rng.randrange(len(items))]
            quantity = 1 if rng.random() < 0.75 else rng.randint(2, 3)
            unit = rng.randint(low, high) * 100
            amount += quantity * unit
            item_lines.append(
                f"{tenant_id}\t{invoice_id}\t{position}\t{description}\t{quantity}\t{unit}\t{quantity * unit}\t"
                f"{created}\t{created}\n"
            )
        deposit = str(amount // 500 * 100) if rng.random() < 0.15 else NULL
        paid = _payments(rng, clock, payment_lines, tenant_id, invoice_id, status, amount, ago)
        balance = 0 if status in ("paid", "void") else amount - paid
        if status == "draft":
            issued = due = NULL
        else:
            issued = created
            due = clock.ago(max(ago - rng.choice((14, 30)) * DAY, -30 * DAY))
        notes = NOTES[rng.randrange(3)] if rng.random() < 0.1 else NULL
        deleted = created if rng.random() < 0.005 else NULL
        invoice_lines.append(
            f"{invoice_id}\t{tenant_id}\t{party_id}\tINV-{number:06d}\t{status}\t{amount}\t{balance}\t{deposit}\t"
            f"USD\t{issued}\t{due}\t{notes}\t{created}\t{created}\t{deleted}\tf\n"
        )
        if len(invoice_lines) >= INVOICES_PER_COPY:
            flush()
    flush()


def _payments(
    rng: random.Random,
    clock: Clock,
    lines: list[str],
    tenant_id: int,
    invoice_id: int,
    status: str,
    amount: int,
    ago: int,
) -> int:
    """Write the invoice's payments; return what they paid (succeeded payments only)."""
    if status == "paid":
        parts = [amount] if rng.random() < 0.8 else [amount // 2, amount - amount // 2]
    elif status == "partially_paid":
        parts = [max(1, min(amount - 1, amount * rng.randint(20, 80) // 100))]
    else:
        parts = []
    for index, part in enumerate(parts):
        when = clock.ago(max(0, ago - (index + 1) * rng.randint(1, 12) * DAY))
        method = words.PAYMENT_METHODS[rng.randrange(4)]
        lines.append(
            f"{tenant_id}\t{invoice_id}\t{part}\tsucceeded\t{method}\t{when}\tPAY-{invoice_id}-{index + 1}\t"
            f"{when}\t{when}\n"
        )
    if status == "issued" and rng.random() < 0.05:  # a card that was declined: money that never arrived
        when = clock.ago(max(0, ago - DAY))
        lines.append(
            f"{tenant_id}\t{invoice_id}\t{amount}\tfailed\tcard\t{NULL}\tPAY-{invoice_id}-0\t{when}\t{when}\n"
        )
    return sum(parts)


INVOICE_COLUMNS = (
    "id", "tenantId", "clientPartyId", "number", "status", "amountCents", "balanceCents", "depositCents",
    "currency", "issuedAt", "dueAt", "notes", "createdAt", "updatedAt", "deletedAt", "isMarketplaceInvoice",
)  # fmt: skip
ITEM_COLUMNS = (
    "tenantId", "invoiceId", "position", "description", "quantity", "unitPriceCents", "amountCents", "createdAt",
    "updatedAt",
)  # fmt: skip
PAYMENT_COLUMNS = (
    "tenantId", "invoiceId", "amountCents", "status", "method", "paidAt", "reference", "createdAt", "updatedAt",
)  # fmt: skip
