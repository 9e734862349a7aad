"""App against raw baseline without sockets or gunicorn: each page through the app (test client) and through
bench/raw_app.py (as WSGI, replaying the statements bench/capture.py records), in alternating batches in one
process, so both share whatever else the machine is doing. On BENCH_DATABASE_URL's seed-scale data.

    python -m bench.inprocess [page …] [--requests 20] [--batches 3]

Prints, per page, wall milliseconds per request, app/raw (the throughput ratio one worker would show) and the CPU
milliseconds each spends in this process: the framework's cost without the load generator's noise.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from werkzeug.test import Client

from bench import raw_app
from bench.capture import capture
from bench.local import Local, local
from bench.pages import Page


@dataclass(frozen=True)
class Timing:
    name: str
    app_ms: float
    raw_ms: float
    app_cpu_ms: float
    raw_cpu_ms: float
    # app/raw in requests per second (raw ms / app ms), batch by batch, as make bench's ratio
    ratios: list[float]

    def line(self) -> str:
        return (
            f"{self.name:18s} app {self.app_ms:7.2f} ms  raw {self.raw_ms:7.2f} ms  "
            f"app/raw {statistics.median(self.ratios):.2f} ({', '.join(f'{r:.2f}' for r in self.ratios)}); "
            f"CPU app {self.app_cpu_ms:.2f} ms, raw {self.raw_cpu_ms:.2f} ms"
        )


def _timed(call: Callable[[], None], count: int) -> tuple[float, float]:
    """Wall and CPU milliseconds per call."""
    started, started_cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        call()
    return (time.perf_counter() - started) / count * 1000, (time.process_time() - started_cpu) / count * 1000


def _ok(answer_status: int, what: str) -> None:
    if answer_status != 200:
        raise SystemExit(f"Error: {what}: HTTP {answer_status} in-process")


def compare(setup: Local, names: list[str], count: int, batches: int) -> list[Timing]:
    chosen = [setup.page(name) for name in names] if names else setup.pages
    plan = {page.name: capture(setup.app, page.path, setup.headers[page.name]) for page in chosen}
    client = setup.app.test_client(use_cookies=False)
    raw = Client(raw_app.make_app(plan, setup.database_url))
    timings = []
    for page in chosen:

        def through_app(page: Page = page) -> None:
            _ok(client.get(page.path, headers=setup.headers[page.name]).status_code, f"app {page.path}")

        def through_raw(page: Page = page) -> None:
            _ok(raw.get(f"/{page.name}").status_code, f"raw /{page.name}")

        through_raw()  # its connection opened; the app was warmed by the capture
        app_runs, raw_runs = [], []
        for _ in range(batches):
            app_runs.append(_timed(through_app, count))
            raw_runs.append(_timed(through_raw, count))
        timing = Timing(
            page.name,
            statistics.median(wall for wall, _ in app_runs),
            statistics.median(wall for wall, _ in raw_runs),
            statistics.median(cpu for _, cpu in app_runs),
            statistics.median(cpu for _, cpu in raw_runs),
            [raw_wall / app_wall for (app_wall, _), (raw_wall, _) in zip(app_runs, raw_runs, strict=True)],
        )
        print(timing.line(), flush=True)
        timings.append(timing)
    return timings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.inprocess", description=__doc__.split("\n")[0])
    parser.add_argument("pages", nargs="*", help="pages' names (all of make bench's by default)")
    parser.add_argument("--requests", type=int, default=20, help="requests per batch (20)")
    parser.add_argument("--batches", type=int, default=3, help="alternating batches per page (3)")
    arguments = parser.parse_args(argv)
    compare(local(), arguments.pages, arguments.requests, arguments.batches)


if __name__ == "__main__":
    main()
