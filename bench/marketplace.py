"""Listing browser at 1,000,000 listings: keyword search, filters, "near me", and a deep page (keyset vs OFFSET).

`BENCH_DATABASE_URL=postgresql+psycopg://… python -m bench.run marketplace`. The data is generated once, in
SQL (bench/marketplace_data.sql), and reused by later runs.
"""

from __future__ import annotations

import os
import re
from html import unescape as html_unescape
from pathlib import Path

from flask import current_app
from sqlalchemy import event, select, text

from app.extensions import db
from bench.common import bench_app, explain, time_it
from marketplace.browse.facet_cache import EXTENSION as COUNTS_EXTENSION
from marketplace.browse.forms import Cursor
from models import ServiceListing

LISTINGS = int(os.environ.get("BENCH_LISTINGS", "1000000"))
DATA_SQL = Path(__file__).with_name("marketplace_data.sql")
NEXT_LINK = re.compile(r'href="([^"]*after=[^"]*)"')

SCENARIOS = {
    "keyword search 'golden retriever' (relevance)": "/listings?q=golden+retriever",
    "typing 'golden retr' (prefix)": "/listings?q=golden+retr",
    "rare words 'frozen semen shipping'": "/listings?q=frozen+semen+shipping",
    "filters: grooming, TX, $50-$500, newest": "/listings?category=grooming&state=TX&min_price=50&max_price=500",
    "search + filters: 'poodle' training in OR, price low-high": (
        "/listings?q=poodle&category=training&state=OR&sort=price_asc"
    ),
    "front page (newest, no filters)": "/listings",
    "state only: TX": "/listings?state=TX",
    "price type only: hourly": "/listings?price_type=hourly",
    "broad price range only: $50 and up": "/listings?min_price=50",
    "near 75201 within 25 miles (nearest first)": "/listings?near=75201&within=25",
    "near 75201 within 50: grooming, $50-$500": (
        "/listings?near=75201&within=50&category=grooming&min_price=50&max_price=500"
    ),
    "near 10001 within 100: 'golden retriever'": "/listings?q=golden+retriever&near=10001&within=100",
    "near 60601 within 100: providers who travel to me": "/listings?near=60601&within=100&travel=1",
    "near 75201 within 500 (the widest radius, nearest first)": "/listings?near=75201&within=500",
    "near 75201 within 50, newest first": "/listings?near=75201&within=50&sort=newest",
}


def generate() -> None:
    existing = db.session.scalar(select(db.func.count()).select_from(ServiceListing))
    if existing >= LISTINGS:
        print(f"{existing:,} listings already present")
        return
    print(f"generating {LISTINGS:,} listings …")
    sql = "\n".join(line for line in DATA_SQL.read_text().splitlines() if not line.startswith("--"))
    for statement in filter(None, (part.strip() for part in sql.split(";"))):
        db.session.execute(text(statement.replace(":count", str(LISTINGS))))
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text('VACUUM ANALYZE "ServiceListing"'))
        connection.execute(text('VACUUM ANALYZE "MarketplaceUser"'))


def capture_statements(client, path: str) -> list[tuple[str, dict]]:
    statements: list[tuple[str, dict]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        client.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return statements


def explain_page(client, label: str, path: str) -> None:
    print(f"\n--- {label}: {path}")
    for statement, parameters in capture_statements(client, path):
        plan = (
            db.session.connection()
            .exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters)
            .scalars()
            .all()
        )
        keep = ("Execution Time", "Index", "Seq Scan", "Sort Method", "Bitmap Heap", "Anti Join", "Append")
        summary = [line for line in plan if any(word in line for word in keep)]
        for line in summary[:12]:
            print("    " + line.strip())
    time_it(f"{label} [counts counted]", lambda: uncached(client, path))
    time_it(f"{label} [counts cached]", lambda: client.get(path))


def uncached(client, path: str) -> None:
    """The page as its first visitor sees it: the category counts are counted, not taken from the cache."""
    cache = current_app.extensions.get(COUNTS_EXTENSION)
    if cache is not None:
        cache.invalidate()
    client.get(path)


def deep_page(client) -> None:
    depth = int(LISTINGS * 0.9)
    row = db.session.execute(
        text(
            "SELECT COALESCE(published_at, created_at, '-infinity'::timestamp)::text AS key, id "
            "FROM \"ServiceListing\" WHERE status = 'active' "
            "ORDER BY COALESCE(published_at, created_at, '-infinity'::timestamp) DESC, id DESC "
            "OFFSET :depth LIMIT 1"
        ),
        {"depth": depth},
    ).one()
    cursor = Cursor("newest", row.key, row.id).encode()
    explain_page(client, f"deep page: keyset cursor at row {depth:,} (newest)", f"/listings?after={cursor}")
    deep_search = next_page_path(client, "/listings?q=golden+retriever", pages=5)
    explain_page(client, "page 6 of 'golden retriever' (relevance)", deep_search)
    deep_near = next_page_path(client, "/listings?near=75201&within=100", pages=10)
    explain_page(client, "page 11 of near 75201 within 100 (distance cursor)", deep_near)
    offset_sql = (
        'SELECT l.id FROM "ServiceListing" l JOIN "MarketplaceUser" u ON u.id = l.provider_user_id '
        "WHERE l.status = 'active' AND u.status = 'active' "
        "ORDER BY COALESCE(l.published_at, l.created_at, '-infinity'::timestamp) DESC, l.id DESC "
        f"OFFSET {depth} LIMIT 21"
    )
    plan = explain(offset_sql).splitlines()
    print("\n--- the same page by OFFSET (rejected):")
    print("    " + next(line for line in plan if "Execution Time" in line).strip())
    time_it(
        f"deep page: OFFSET {depth:,} (for comparison)", lambda: db.session.execute(text(offset_sql)).all()
    )


def next_page_path(client, path: str, pages: int) -> str:
    """Follow the "Next" link `pages` times, as a visitor would."""
    for _ in range(pages):
        html = client.get(path).get_data(as_text=True)
        path = html_unescape(NEXT_LINK.search(html).group(1))
    return path


def main() -> None:
    app = bench_app()
    with app.app_context():
        generate()
        client = app.test_client()
        for label, path in SCENARIOS.items():
            explain_page(client, label, path)
        deep_page(client)
