"""Keyword search and filtered browse at 1,000,000 listings: p50/p95 of many runs, the counts counted (not
cached) on every run, and each page's statements under EXPLAIN (ANALYZE, BUFFERS).

`BENCH_DATABASE_URL=postgresql://… python -m bench.search` on a database loaded by `flask --app wsgi seed-scale`
(SEARCH_BENCH_RUNS, 50 by default, after 5 warm-up runs; SEARCH_BENCH_EXPLAIN=1 adds the plans). In-process through
the test client, in the app `make bench` serves (bench.local: production settings, the application's role, so
row-level security is on), with the headers a signed-out visitor sends, one page at a time.
"""

from __future__ import annotations

import html
import os
import re
import statistics
import time

from flask import current_app
from flask.testing import FlaskClient
from sqlalchemy import event, text

from app.extensions import db
from app.scale_seed import NARROW_QUERY
from bench.local import local
from marketplace.browse.facet_cache import EXTENSION as COUNTS_EXTENSION

RUNS = int(os.environ.get("SEARCH_BENCH_RUNS", "50"))
WARM_UP = 5

PAGES = {
    "broad search 'golden retriever' (relevance)": "/listings?q=golden+retriever",
    "broad search while typing 'golden retr'": "/listings?q=golden+retr",
    "broad search 'golden retriever', page 2": None,  # the first page's Next link
    f"narrow search '{NARROW_QUERY}'": f"/listings?q={NARROW_QUERY}",
    "search + filters 'poodle' training OR, price": "/listings?q=poodle&category=training&state=OR&sort=price_asc",
    "front page (no filters, newest)": "/listings",
    "filtered: grooming, TX, $50-$500": "/listings?category=grooming&state=TX&min_price=50&max_price=500",
    "filtered: state TX": "/listings?state=TX",
    "filtered: hourly": "/listings?price_type=hourly",
    "filtered: $50 and up": "/listings?min_price=50",
    "filtered: near 75201 within 50, grooming, $50-$500": (
        "/listings?near=75201&within=50&category=grooming&min_price=50&max_price=500"
    ),
}


class SignedOutClient:
    """The test client, sending what wrk sends for a signed-out page (the proxy's headers)."""

    def __init__(self, client: FlaskClient, headers: dict[str, str]) -> None:
        self._client = client
        self._headers = headers

    def get(self, path: str):
        response = self._client.get(path, headers=self._headers)
        if response.status_code != 200:  # a redirect or an error would time the wrong page
            raise SystemExit(f"Error: {path} answered {response.status_code}")
        return response


def uncached(client: SignedOutClient, path: str) -> None:
    """The page as its first visitor sees it: the category counts are counted, not taken from the cache."""
    cache = current_app.extensions.get(COUNTS_EXTENSION)
    if cache is not None:
        cache.invalidate()
    client.get(path)


def capture_statements(client: SignedOutClient, path: str) -> list[tuple[str, dict]]:
    statements: list[tuple[str, dict]] = []

    def record(_conn, _cursor, statement, parameters, *_args) -> None:
        statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        client.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return statements


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return statistics.median(ordered), p95


def run(client: SignedOutClient, path: str) -> tuple[float, float]:
    for _ in range(WARM_UP):
        uncached(client, path)
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        uncached(client, path)
        samples.append((time.perf_counter() - started) * 1000)
    return percentiles(samples)


def explain(client: SignedOutClient, path: str) -> None:
    cache = current_app.extensions.get(COUNTS_EXTENSION)
    if cache is not None:
        cache.invalidate()
    for statement, parameters in capture_statements(client, path):
        if "ServiceListing" not in statement:
            continue
        plan = db.session.connection().exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters)
        print("\n".join("    " + line for line in plan.scalars()))


def main() -> None:
    setup = local()
    with setup.app.app_context():
        client = SignedOutClient(setup.app.test_client(use_cookies=False), setup.headers["search_broad"])
        matches = db.session.scalar(
            text(
                "SELECT count(*) FROM \"ServiceListing\" WHERE status = 'active' AND search_vector @@ "
                "websearch_to_tsquery('english', 'golden retriever')"
            )
        )
        print(f"'golden retriever' matches {matches:,} active listings")
        first = client.get(PAGES["broad search 'golden retriever' (relevance)"]).get_data(as_text=True)
        found = re.search(r'href="([^"]*after=[^"]*)" rel="next"', first)
        PAGES["broad search 'golden retriever', page 2"] = html.unescape(found.group(1)) if found else None
        print(f"{'page':<55} {'p50 ms':>8} {'p95 ms':>8}   (counts not cached, n={RUNS}, warm)")
        for label, path in PAGES.items():
            if path is None:
                continue
            p50, p95 = run(client, path)
            print(f"{label:<55} {p50:8.1f} {p95:8.1f}", flush=True)
        if os.environ.get("SEARCH_BENCH_EXPLAIN"):
            for label, path in PAGES.items():
                if path is not None:
                    print(f"\n--- {label}: {path}")
                    explain(client, path)


if __name__ == "__main__":
    main()
