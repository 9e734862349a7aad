"""Stage 4: conversations between buyers and providers about listings, and their messages.

The heavy seller has `heavy_seller_threads` conversations over their listings, the first of them with the heavy
buyer and `long_thread_messages` messages; the other threads go round the other providers' listings, one buyer
per (listing, buyer) pair as the unique key wants. Messages alternate buyer, seller, buyer…; the last one or two
of some threads are unread. The unread-counter trigger is off for the load: each thread is written with the
counters it would have computed (messages not read and not sent by that side)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg

from app.scale_seed import words
from app.scale_seed.accounts import DOMAIN, HEAVY_BUYER_EMAIL
from app.scale_seed.listings import heavy_seller_id
from app.scale_seed.loader import NULL, Clock, Stage
from app.scale_seed.plan import SeedPlan

LABEL = "messages"
TABLES = ("MessageThread", "Message")
TRIGGERS = {"Message": ("message_unread_insert",)}
YEAR = 365 * 86_400
THREAD_COLUMNS = (
    "id", "listing_id", "buyer_user_id", "seller_user_id", "subject", "status", "last_message_at", "created_at",
    "buyer_unread_count", "seller_unread_count",
)  # fmt: skip
MESSAGE_COLUMNS = ("thread_id", "sender_user_id", "message_text", "read_at", "created_at")
THREADS_PER_COPY = 5_000


@dataclass(frozen=True)
class Thread:
    id: int
    listing_id: int
    buyer: int
    seller: int
    subject: str
    messages: int
    last_ago: int  # seconds before now of the last message
    gap: int  # seconds between messages
    unread: int  # how many of the last messages are unread
    status: str


def rows(plan: SeedPlan) -> dict[str, int]:
    return {"MessageThread": plan.threads, "Message": plan.messages}


def loaded(conn: psycopg.Connection) -> bool:
    seller = heavy_seller_id(conn)
    return seller is not None and (
        conn.execute('SELECT 1 FROM "MessageThread" WHERE seller_user_id = %s LIMIT 1', (seller,)).fetchone()
        is not None
    )


def mismatch(conn: psycopg.Connection, plan: SeedPlan) -> str | None:
    threads, messages = conn.execute(
        'SELECT count(*), coalesce(sum((SELECT count(*) FROM "Message" m WHERE m.thread_id = t.id)), 0) '
        'FROM "MessageThread" t JOIN "MarketplaceUser" u ON u.id = t.seller_user_id WHERE u.email LIKE %s',
        (f"%@{DOMAIN}",),
    ).fetchone()  # type: ignore[misc]
    if (threads, messages) != (plan.threads, plan.messages):
        return (
            f"the database already holds {threads:,} scale threads with {messages:,} messages, not "
            f"{plan.threads:,} with {plan.messages:,}"
        )
    return None


def _ids(conn: psycopg.Connection, query: str, *params: object) -> list[tuple]:
    return conn.execute(query, params).fetchall()


def message_counts(plan: SeedPlan) -> list[int]:
    """Messages per thread: the long thread first, then the rest shared so that pairs of threads differ (one
    longer, one shorter) and the total is exactly plan.messages."""
    others = plan.threads - 1
    if not others:
        return [plan.messages]
    base, extra = divmod(plan.messages - plan.long_thread_messages, others)
    counts = [base + (1 if index < extra else 0) for index in range(others)]
    for index in range(0, others - 1, 2):
        low = min(counts[index], counts[index + 1])
        swing = (index * 7919) % low if low > 1 else 0
        counts[index] += swing
        counts[index + 1] -= swing
    return [plan.long_thread_messages, *counts]


def _threads(stage: Stage, plan: SeedPlan) -> list[Thread]:
    conn = stage.conn
    seller = heavy_seller_id(conn)
    heavy_buyer = _ids(conn, 'SELECT id FROM "MarketplaceUser" WHERE email = %s', HEAVY_BUYER_EMAIL)[0][0]
    buyers = [
        row[0]
        for row in _ids(
            conn, 'SELECT id FROM "MarketplaceUser" WHERE email LIKE %s ORDER BY id', f"buyer-%@{DOMAIN}"
        )
    ]
    heavy_listings = _ids(
        conn,
        'SELECT id, provider_user_id, title FROM "ServiceListing" WHERE provider_user_id = %s ORDER BY id LIMIT %s',
        seller,
        plan.heavy_seller_listings,
    )
    other_listings = _ids(
        conn,
        'SELECT l.id, l.provider_user_id, l.title FROM "ServiceListing" l '
        'JOIN "MarketplaceUser" u ON u.id = l.provider_user_id WHERE u.email LIKE %s ORDER BY l.id LIMIT %s',
        f"provider-%@{DOMAIN}",
        min(plan.other_listings, plan.other_threads),
    )
    first_id = stage.reserve_ids("MessageThread", plan.threads)
    counts = message_counts(plan)
    rng = random.Random(4)
    threads = []
    for index in range(plan.threads):
        if index < plan.heavy_seller_threads:
            listing_id, provider, title = heavy_listings[index % len(heavy_listings)]
            buyer = heavy_buyer if index == 0 else buyers[index // len(heavy_listings)]
            last_ago = rng.randrange(3600) if index == 0 else rng.randrange(60 * 86_400)
        else:
            other = index - plan.heavy_seller_threads
            position = other % len(other_listings)
            listing_id, provider, title = other_listings[position]
            buyer = buyers[(other // len(other_listings) + position * 7919) % len(buyers)]
            last_ago = rng.randrange(YEAR)
        gap = 1200 if index == 0 else rng.randrange(600, 6 * 3600)
        roll = rng.random()
        unread = 2 if index == 0 or roll < 0.1 else (1 if roll < 0.45 else 0)
        threads.append(
            Thread(
                id=first_id + index,
                listing_id=listing_id,
                buyer=buyer,
                seller=provider,
                subject=title,
                messages=counts[index],
                last_ago=last_ago,
                gap=gap,
                unread=min(unread, counts[index]),
                status="archived" if index % 37 == 36 else "active",
            )
        )
    return threads


def _unread_counts(thread: Thread) -> tuple[int, int]:
    """(buyer's, seller's): the unread messages the other side sent. Message k is the buyer's when k is even."""
    buyer_unread = seller_unread = 0
    for position in range(thread.messages - thread.unread, thread.messages):
        if position % 2 == 0:
            seller_unread += 1
        else:
            buyer_unread += 1
    return buyer_unread, seller_unread


def _thread_lines(threads: list[Thread], clock: Clock) -> Iterator[str]:
    for thread in threads:
        buyer_unread, seller_unread = _unread_counts(thread)
        first_ago = thread.last_ago + (thread.messages - 1) * thread.gap
        yield (
            f"{thread.id}\t{thread.listing_id}\t{thread.buyer}\t{thread.seller}\t{thread.subject}\t{thread.status}\t"
            f"{clock.ago(thread.last_ago)}\t{clock.ago(first_ago)}\t{buyer_unread}\t{seller_unread}\n"
        )


def _message_lines(threads: list[Thread], clock: Clock) -> Iterator[str]:
    buyer_lines, seller_lines = words.BUYER_LINES, words.SELLER_LINES
    for thread in threads:
        first_unread = thread.messages - thread.unread
        gap, half_gap = thread.gap, thread.gap // 2
        ago = thread.last_ago + (thread.messages - 1) * gap
        buyer, seller = f"{thread.id}\t{thread.buyer}\t", f"{thread.id}\t{thread.seller}\t"
        for position in range(thread.messages):
            turn = position // 2 + thread.id
            start = buyer + buyer_lines[turn % 10] if position % 2 == 0 else seller + seller_lines[turn % 10]
            read = clock.ago(max(0, ago - half_gap)) if position < first_unread else NULL
            yield f"{start}\t{read}\t{clock.ago(ago)}\n"
            ago -= gap


def load(stage: Stage, plan: SeedPlan, clock: Clock, password_hash: str) -> None:
    threads = _threads(stage, plan)
    stage.copy("MessageThread", THREAD_COLUMNS, _thread_lines(threads, clock))
    for start in range(0, len(threads), THREADS_PER_COPY):
        stage.copy(
            "Message", MESSAGE_COLUMNS, _message_lines(threads[start : start + THREADS_PER_COPY], clock)
        )
