"""Messaging at scale: a Message table of BENCH_MESSAGES rows (10,000,000 by default) and a heavy user with
thousands of threads; times the inbox, the nav badge, a long thread page and the poll, with EXPLAIN summaries.

Data is generated with generate_series in a handful of statements and kept between runs (recognised by the
heavy user's e-mail), next to whatever other benches put in the same database; nothing else is touched.
`python -m bench.run messaging` (BENCH_DATABASE_URL=postgresql+psycopg://.../yourdb for a server of your own).
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

from sqlalchemy import event, func, select, text
from sqlalchemy.engine import Engine

from app.auth import SignedIn
from app.extensions import db
from bench.common import bench_app, time_it
from marketplace.messaging.queries import (
    inbox_page,
    messages_page,
    poll_state,
    seen_message_id,
    unread_total,
)
from models import MarketplaceUser, Message, MessageThread

HEAVY_EMAIL = "msgbench-heavy@bench.test"
MESSAGES_PER_THREAD = 20
LONG_THREAD_EXTRA = 5_000  # the heavy user's first thread is long, for the thread page and "Load earlier"
HEAVY_SELLER_THREADS = 5_000
HEAVY_BUYER_THREADS = 1_000
PROVIDERS = 2_000
LISTINGS = 5_000
HEAVY_LISTINGS = 200
USERS = 20_000
THREADS_PER_CHUNK = 50_000


def _log(message: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {message}", flush=True)


def _run(sql: str, **params: object) -> None:
    db.session.execute(text(sql), params)


def _scalar(sql: str, **params: object):
    return db.session.execute(text(sql), params).scalar()


def generate(target_messages: int) -> None:
    threads = max(target_messages // MESSAGES_PER_THREAD, HEAVY_SELLER_THREADS + HEAVY_BUYER_THREADS + 1000)
    other_threads = threads - HEAVY_SELLER_THREADS - HEAVY_BUYER_THREADS
    _log(f"generating {threads:,} threads x {MESSAGES_PER_THREAD} messages (+{LONG_THREAD_EXTRA:,} in one)")
    # Bulk load: skip per-row foreign-key triggers (the ids are generated consistent) and rebuild the
    # secondary indexes once at the end instead of maintaining them row by row.
    _run("SET session_replication_role = replica")
    _run(
        """INSERT INTO "MarketplaceUser" (email, password_hash, first_name, last_name, user_type, status,
               email_verified, created_at, updated_at)
           SELECT 'msgbench-' || g || '@bench.test', 'not-a-hash', 'Bench', 'User ' || g, 'both', 'active', true,
                  now() - interval '400 days', now()
           FROM generate_series(1, :users) g""",
        users=USERS,
    )
    _run(
        """INSERT INTO "MarketplaceUser" (email, password_hash, first_name, last_name, user_type, status,
               email_verified, created_at, updated_at)
           VALUES (:email, 'not-a-hash', 'Heavy', 'Seller', 'both', 'active', true, now() - interval '400 days',
                   now())""",
        email=HEAVY_EMAIL,
    )
    first_user = _scalar("""SELECT min(id) FROM "MarketplaceUser" WHERE email LIKE 'msgbench-%'""")
    heavy = _scalar("""SELECT id FROM "MarketplaceUser" WHERE email = :email""", email=HEAVY_EMAIL)
    _run(
        """INSERT INTO "ServiceListing" (provider_user_id, title, description, category, price_cents, price_type,
               status, state, created_at, updated_at)
           SELECT CASE WHEN g <= :heavy_listings THEN :heavy ELSE :first_user + (g % :providers) END,
                  'Bench listing ' || g, 'Bench listing', 'grooming', 5000, 'fixed', 'active', 'TX', now(), now()
           FROM generate_series(1, :listings + :heavy_listings) g""",
        heavy=heavy,
        first_user=first_user,
        providers=PROVIDERS,
        listings=LISTINGS,
        heavy_listings=HEAVY_LISTINGS,
    )
    first_listing = _scalar(
        """SELECT min(id) FROM "ServiceListing" WHERE title LIKE 'Bench listing %' AND provider_user_id = :heavy""",
        heavy=heavy,
    )
    thread_columns = (
        "(listing_id, buyer_user_id, seller_user_id, subject, status, created_at, last_message_at)"
    )
    # When a thread started: spread over a year, so the inbox order means something.
    started = "now() - ((g::bigint * 7919) % 525600) * interval '1 minute' - interval '1 hour'"
    finished = f"{started} + interval '{MESSAGES_PER_THREAD - 1} minutes'"
    ids = {
        "first_user": first_user,
        "heavy": heavy,
        "first_listing": first_listing,
        "heavy_listings": HEAVY_LISTINGS,
        "providers": PROVIDERS,
        "listings": LISTINGS,
        "users": USERS,
    }
    # Heavy user as seller: one buyer each, over the heavy user's listings.
    _run(
        f"""INSERT INTO "MessageThread" {thread_columns}
            SELECT :first_listing + (g % :heavy_listings), :first_user + g, :heavy, 'Bench thread', 'active',
                   {started}, {finished}
            FROM generate_series(0, :n - 1) g""",
        **ids,
        n=HEAVY_SELLER_THREADS,
    )
    # Heavy user as buyer, on other providers' listings.
    _run(
        f"""INSERT INTO "MessageThread" {thread_columns}
            SELECT l.id, :heavy, l.provider_user_id, 'Bench thread', 'active', {started}, {finished}
            FROM generate_series(0, :n - 1) g
            JOIN "ServiceListing" l ON l.id = :first_listing + :heavy_listings + g""",
        **ids,
        n=HEAVY_BUYER_THREADS,
    )
    # Everyone else: (listing, buyer) pairs that never repeat.
    _run(
        f"""INSERT INTO "MessageThread" {thread_columns}
            SELECT l.id, :first_user + :providers + (((g / :listings) * 37 + g % :listings) % (:users - :providers)),
                   l.provider_user_id, 'Bench thread', 'active', {started}, {finished}
            FROM generate_series(0, :n - 1) g
            JOIN "ServiceListing" l ON l.id = :first_listing + :heavy_listings + (g % :listings)""",
        **ids,
        n=other_threads,
    )
    db.session.commit()
    _log("threads done; dropping Message secondary indexes for the load")

    message_indexes = [index for index in Message.__table__.indexes]
    for index in message_indexes:
        _run(f'DROP INDEX IF EXISTS "{index.name}"')
    db.session.commit()

    first_thread, last_thread = db.session.execute(
        text("""SELECT min(id), max(id) FROM "MessageThread" WHERE subject = 'Bench thread'""")
    ).one()
    # Messages alternate buyer/seller; the last two of each thread are unread.
    for low in range(first_thread, last_thread + 1, THREADS_PER_CHUNK):
        _run(
            f"""INSERT INTO "Message" (thread_id, sender_user_id, message_text, read_at, created_at)
                SELECT t.id, CASE WHEN s % 2 = 1 THEN t.buyer_user_id ELSE t.seller_user_id END,
                       'Bench message ' || s || ' in thread ' || t.id || '. Is Saturday still free for the visit?',
                       CASE WHEN s > {MESSAGES_PER_THREAD - 2} THEN NULL
                            ELSE t.created_at + s * interval '1 minute' END,
                       t.created_at + (s - 1) * interval '1 minute'
                FROM "MessageThread" t, generate_series(1, {MESSAGES_PER_THREAD}) s
                WHERE t.id BETWEEN :low AND :high AND t.subject = 'Bench thread'""",
            low=low,
            high=min(low + THREADS_PER_CHUNK - 1, last_thread),
        )
        db.session.commit()
        _log(f"messages for threads up to {min(low + THREADS_PER_CHUNK - 1, last_thread):,}")
    long_thread = _long_thread_id(heavy)
    _run(
        """INSERT INTO "Message" (thread_id, sender_user_id, message_text, read_at, created_at)
           SELECT t.id, CASE WHEN s % 2 = 1 THEN t.buyer_user_id ELSE t.seller_user_id END,
                  'Earlier bench message ' || s, t.created_at, t.created_at - (:extra - s + 1) * interval '1 minute'
           FROM "MessageThread" t, generate_series(1, :extra) s WHERE t.id = :thread""",
        extra=LONG_THREAD_EXTRA,
        thread=long_thread,
    )
    db.session.commit()
    _log("rebuilding Message indexes")
    connection = db.session.connection()
    for index in message_indexes:
        index.create(connection)
    _run("SET session_replication_role = origin")
    # The unread-counter triggers do not fire in replica mode either: count the bench threads' unread now.
    _run(
        """UPDATE "MessageThread" t
           SET buyer_unread_count = (SELECT count(*) FROM "Message" m WHERE m.thread_id = t.id
                                     AND m.read_at IS NULL AND m.sender_user_id <> t.buyer_user_id),
               seller_unread_count = (SELECT count(*) FROM "Message" m WHERE m.thread_id = t.id
                                      AND m.read_at IS NULL AND m.sender_user_id <> t.seller_user_id)
           WHERE t.subject = 'Bench thread'"""
    )
    db.session.commit()
    _log("VACUUM ANALYZE")
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as autocommit:
        for table in ("MarketplaceUser", "ServiceListing", "MessageThread", "Message"):
            autocommit.execute(text(f'VACUUM ANALYZE "{table}"'))


def _long_thread_id(heavy_id: int) -> int:
    return db.session.scalar(
        select(func.min(MessageThread.id)).where(MessageThread.seller_user_id == heavy_id)
    )


class _Capture:
    """The SQL (and parameters) a block of code runs, to EXPLAIN exactly what the app executes."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, object]] = []

    def __enter__(self) -> _Capture:
        event.listen(Engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(Engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.statements.append((statement, parameters))


def _explain(label: str, action) -> None:
    with _Capture() as capture:
        action()
    for statement, parameters in capture.statements:
        if not statement.lstrip().upper().startswith("SELECT"):
            continue
        plan = [
            row[0]
            for row in db.session.connection().exec_driver_sql(
                "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters
            )
        ]
        timing = [line.strip() for line in plan if "Planning Time" in line or "Execution Time" in line]
        scans = sorted(
            {
                line.strip().split("  (")[0].lstrip("-> ").split(" on ")[0]
                + (" on " + line.split(" on ")[1].split(" ")[0] if " on " in line else "")
                for line in plan
                if "Scan" in line
            }
        )
        print(f"  EXPLAIN {label}: {plan[0].strip()[:110]}")
        print(f"    {'; '.join(timing)}")
        print(f"    scans: {', '.join(scans)}")
    db.session.rollback()


def main() -> None:
    target = int(os.environ.get("BENCH_MESSAGES", "10000000"))
    app = bench_app()
    with app.app_context():
        heavy = db.session.scalar(select(MarketplaceUser).where(MarketplaceUser.email == HEAVY_EMAIL))
        if heavy is None:
            started = time.perf_counter()
            generate(target)
            _log(f"generated in {time.perf_counter() - started:.0f} s")
            heavy = db.session.scalar(select(MarketplaceUser).where(MarketplaceUser.email == HEAVY_EMAIL))
        assert heavy is not None
        total = db.session.scalar(
            text("""SELECT reltuples::bigint FROM pg_class WHERE relname = 'Message'""")
        )
        seller_threads = db.session.scalar(
            select(func.count()).select_from(MessageThread).where(MessageThread.seller_user_id == heavy.id)
        )
        buyer_threads = db.session.scalar(
            select(func.count()).select_from(MessageThread).where(MessageThread.buyer_user_id == heavy.id)
        )
        long_thread = _long_thread_id(heavy.id)
        long_count = db.session.scalar(
            select(func.count()).select_from(Message).where(Message.thread_id == long_thread)
        )
        print(
            f"Message rows ~{total:,}; heavy user: {seller_threads:,} threads selling + {buyer_threads:,} buying; "
            f"long thread {long_thread}: {long_count:,} messages"
        )
        heavy_id = heavy.id
        newest_two = db.session.scalars(
            select(Message.id)
            .where(Message.thread_id == long_thread)
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(2)
        ).all()
        db.session.rollback()

        time_it("nav badge: unread_total(heavy)", lambda: unread_total(heavy_id))
        time_it("inbox query: all, page 1", lambda: inbox_page(heavy_id, "all", 1))
        time_it("inbox query: selling, page 40", lambda: inbox_page(heavy_id, "selling", 40))
        time_it("thread query: newest 30 of the long thread", lambda: messages_page(long_thread))
        time_it("thread query: load earlier (before the 2,500th)", lambda: messages_page(long_thread, 2_500))
        time_it("seen receipt", lambda: seen_message_id(long_thread, heavy_id))
        time_it("poll, nothing new", lambda: poll_state(long_thread, heavy_id, newest_two[0]))
        time_it("poll, one new message", lambda: poll_state(long_thread, heavy_id, newest_two[1]))
        db.session.rollback()

        _explain("nav badge", lambda: unread_total(heavy_id))
        _explain("inbox all p1", lambda: inbox_page(heavy_id, "all", 1))
        _explain("thread newest page", lambda: messages_page(long_thread))
        _explain("poll", lambda: poll_state(long_thread, heavy_id, newest_two[0]))

    client = app.test_client()
    with app.app_context():
        identity = SignedIn("marketplace", db.session.get(MarketplaceUser, heavy_id)).get_id()
        db.session.remove()
    now = datetime.now(UTC).timestamp()
    with client.session_transaction() as session:
        session.update({"_user_id": identity, "_fresh": True, "auth_at": now, "seen_at": now})

    def get(path: str) -> None:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)

    time_it("GET /messages (whole page, heavy user)", lambda: get("/messages"))
    time_it("GET /messages?tab=selling&page=40", lambda: get("/messages?tab=selling&page=40"))
    time_it(f"GET /messages/{long_thread} (long thread page)", lambda: get(f"/messages/{long_thread}"))
    time_it(
        "GET poll (nothing new, 204)",
        lambda: client.get(f"/messages/{long_thread}/updates?after={newest_two[0]}&seen=0"),
    )


if __name__ == "__main__":
    main()
