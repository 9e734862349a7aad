"""`make bench`: the app under load as users meet it, beside its own SQL served raw (docs/performance.md).

1. The data: seed-scale's, loaded first if the database has none (BENCH_SEED_ARGS for smaller sizes).
2. gunicorn with gunicorn.conf.py and the production configuration, as the application's role (so row-level
   security is measured too), signed in through the real forms.
3. Each page: its statements recorded in-process (queries per request), then wrk at 8 connections against the
   app and against bench/raw_app.py, which replays those statements through psycopg and a minimal template.
4. bench/results/<date>.json, .md and .png, and docs/performance.md's latest table; the table is printed too.

Settings: BENCH_DATABASE_URL, BENCH_SECONDS (8), BENCH_WARMUP_SECONDS (2), BENCH_SEED_ARGS, BENCH_REDIS_URL,
BENCH_NARROW_QUERY, BENCH_DEEP_ROWS, BENCH_PAGES (some pages by name, comma-separated: a trial run, printed and not
written to bench/results or the docs); WEB_CONCURRENCY and the other gunicorn.conf.py settings pass through.
"""

from __future__ import annotations

import os
import pickle
import platform
import secrets
import shlex
import socket
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from app import PROJECT_ROOT
from app.database_roles import libpq_url, provision_app_role
from bench import report, targets, wrk
from bench.browser import PROXY_HEADERS, Browser
from bench.common import owner_url
from bench.pages import CLIENT, Page, deepest_invoices_path, pages, signed_in_browsers
from bench.servers import Server, rss_mb

FLASK = [str(Path(sys.executable).with_name("flask")), "--app", "wsgi"]


def _seconds(name: str, default: float) -> float:
    return float(os.environ.get(name) or default)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _flask(owner: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": owner, "MIGRATION_DATABASE_URL": owner}
    env.pop("APP_ENV", None)
    return subprocess.run([*FLASK, *args], cwd=PROJECT_ROOT, env=env, text=True, check=False)  # noqa: S603


def prepare_data(owner: str) -> None:
    """Migrate, then `flask seed-scale` (BENCH_SEED_ARGS) unless its data is all there: it resumes a stopped run."""
    if _flask(owner, "db", "upgrade").returncode:
        raise SystemExit("Error: `flask db upgrade` failed on the bench database")
    if targets.seeded(owner):
        return
    arguments = shlex.split(os.environ.get("BENCH_SEED_ARGS", ""))
    print(f"== no seed-scale data yet: flask --app wsgi seed-scale {' '.join(arguments)}", flush=True)
    if _flask(owner, "seed-scale", *arguments).returncode:
        raise SystemExit("Error: seed-scale failed")


def server_environment(app_role_url: str) -> dict[str, str]:
    return {
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),  # this run's only
        "PUBLIC_URL": "https://bench.localhost",
        "DATABASE_URL": app_role_url,
        "MAIL_BACKEND": "log",
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
        # As behind the TLS-terminating proxy production requires: one hop, whose X-Forwarded-Proto is believed.
        "TRUSTED_PROXIES": "1",
    }


def machine(owner: str) -> dict[str, Any]:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    with psycopg.connect(libpq_url(owner)) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "postgresql": version,
        "python": platform.python_version(),
        "note": "wrk, PostgreSQL and the gunicorn workers share these cores: compare ratios, not absolute times",
    }


def record_statements(
    env: dict[str, str], chosen: list[Page], browsers: dict[str, Browser]
) -> dict[str, list]:
    os.environ.update(env)
    from app import create_app
    from bench.capture import capture

    app = create_app()
    return {page.name: capture(app, page.path, browsers[page.who].headers()) for page in chosen}


def chosen_pages(every_page: list[Page]) -> list[Page]:
    """The pages BENCH_PAGES names, in the bench's order; every page when it is unset."""
    names = [name.strip() for name in os.environ.get("BENCH_PAGES", "").split(",") if name.strip()]
    unknown = sorted(set(names) - {page.name for page in every_page})
    if unknown:
        known = ", ".join(page.name for page in every_page)
        raise SystemExit(f"Error: BENCH_PAGES names no page {', '.join(unknown)}; the pages are {known}")
    return [page for page in every_page if not names or page.name in names]


def drive(server: Server, path: str, headers: dict[str, str], seconds: float, what: str) -> wrk.Load:
    load = wrk.run(server.url + path, headers, seconds)
    if load.non_2xx or load.socket_errors:
        raise SystemExit(
            f"Error: {what} {path}: {load.non_2xx} answers outside 2xx and {load.socket_errors} socket errors "
            f"in {load.requests} requests; see {server.log_path}"
        )
    return load


def main() -> None:
    seconds, warmup = _seconds("BENCH_SECONDS", 8), _seconds("BENCH_WARMUP_SECONDS", 2)
    started, load_before = datetime.now(UTC), os.getloadavg()[0]
    owner = owner_url()
    prepare_data(owner)
    found = targets.find(owner)
    env = server_environment(provision_app_role(owner))
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    app_server = Server("wsgi:app", _free_port(), env, work / "app.log")
    raw_server = None
    try:
        app_server.wait_ready("/")
        browsers = signed_in_browsers(app_server.url, found.tenant_slug)
        invoices = f"/portal/{found.tenant_slug}/invoices"
        chosen = chosen_pages(pages(found, deepest_invoices_path(browsers[CLIENT], invoices, found.invoices)))
        statements = record_statements(env, chosen, browsers)
        plan_path = work / "raw-plan.pickle"
        plan_path.write_bytes(pickle.dumps(statements))
        raw_server = Server(
            "bench.raw_app:app", _free_port(), {**env, "BENCH_RAW_PLAN": str(plan_path)}, work / "raw.log"
        )
        raw_server.wait_ready(f"/{chosen[0].name}")

        print(f"== warming up ({warmup:g} s a page on each server)", flush=True)
        for page in chosen:
            drive(app_server, page.path, browsers[page.who].headers(), warmup, "app")
            drive(raw_server, f"/{page.name}", PROXY_HEADERS, warmup, "raw")
        rows = []
        for page in chosen:
            print(f"== {page.label}: {page.path}", flush=True)
            app_load = drive(app_server, page.path, browsers[page.who].headers(), seconds, "app")
            raw_load = drive(raw_server, f"/{page.name}", PROXY_HEADERS, seconds, "raw")
            rows.append(
                {
                    "name": page.name,
                    "label": page.label,
                    "path": page.path,
                    "queries": len(statements[page.name]),
                    "app": app_load.as_dict(),
                    "raw": raw_load.as_dict(),
                    "ratio": report.ratio(app_load.req_s, raw_load.req_s),
                }
            )
        results = {
            "date": started.strftime("%Y-%m-%d"),
            "started_at": started.isoformat(timespec="seconds"),
            "machine": {
                **machine(owner),
                # Anything else busy on the machine shows here: the figures are only as quiet as it was.
                "load_average_1min": {"start": round(load_before, 2), "end": round(os.getloadavg()[0], 2)},
            },
            "load": {
                "connections": wrk.CONNECTIONS,
                "threads": wrk.THREADS,
                "seconds": seconds,
                "warmup_seconds": warmup,
            },
            "workers": len(app_server.worker_pids()),
            "data": {
                "database": make_url(owner).database,
                "invoices_of_heavy_client": found.invoices,
                "messages_in_thread": found.thread_messages,
                "listings": _count(owner, "ServiceListing"),
                "messages": _count(owner, "Message"),
                "narrow_query": found.narrow_query,
                "deep_rows": found.deep_rows,
            },
            "pages": rows,
            "workers_rss_mb": [round(rss_mb(pid), 1) for pid in app_server.worker_pids()],
            "raw_workers_rss_mb": [round(rss_mb(pid), 1) for pid in raw_server.worker_pids()],
        }
    finally:
        app_server.stop()
        if raw_server is not None:
            raw_server.stop()
    print()
    print(report.markdown(results))
    if os.environ.get("BENCH_PAGES"):
        print("A trial run of some pages (BENCH_PAGES): nothing written.")
        return
    paths = report.write(results)
    report.update_doc(results, paths["chart"])
    written = [str(path.relative_to(PROJECT_ROOT)) for path in paths.values()]
    print("Written: " + ", ".join([*written, "docs/performance.md"]))


def _count(owner: str, table: str) -> int:
    with psycopg.connect(libpq_url(owner)) as conn:
        # The planner's estimate: an exact count of 10,000,000 messages would take longer than a page's bench.
        return int(conn.execute("SELECT reltuples FROM pg_class WHERE relname = %s", (table,)).fetchone()[0])  # type: ignore[index]


if __name__ == "__main__":
    main()
