"""Shared bench plumbing: a database at scale and a timer. Figures are printed, never asserted."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade

from app import PROJECT_ROOT, create_app
from app.extensions import db


def bench_app() -> Flask:
    """The app on BENCH_DATABASE_URL, or on database `breeder_bench` of an embedded server under instance/."""
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        from app.embedded_db import start_embedded_postgres

        url = start_embedded_postgres(
            Path(PROJECT_ROOT / "instance" / "bench-pgdata"), database="breeder_bench"
        )
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False}, env_name="testing")
    with app.app_context():
        upgrade()
    return app


def time_it(label: str, action: Callable[[], object], repeat: int = 7) -> float:
    """Run once to warm up, then `repeat` times; print and return the median in milliseconds."""
    action()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    median = statistics.median(samples)
    print(
        f"{label:<60} median {median:8.1f} ms   (min {min(samples):.1f}, max {max(samples):.1f}, n={repeat})"
    )
    return median


def explain(sql: str, params: dict | None = None) -> str:
    from sqlalchemy import text

    rows = db.session.execute(text(f"EXPLAIN (ANALYZE, BUFFERS) {sql}"), params or {}).scalars().all()
    return "\n".join(rows)
