"""cProfile of N warm requests to one of the bench's pages, in-process: the app gunicorn serves in `make bench`,
minus the socket, on BENCH_DATABASE_URL's seed-scale data.

    python -m bench.profile <page> [requests]      # e.g. python -m bench.profile inbox 300

Prints the time per request (profiled, so slower than served) and the top frames by cumulative and own time,
and writes instance/bench-profiles/<page>.prof (for snakeviz, or pstats).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from pathlib import Path

from app import PROJECT_ROOT
from bench.local import Local, local

OUT = PROJECT_ROOT / "instance" / "bench-profiles"
WARM_REQUESTS = 20


def profile(setup: Local, name: str, count: int, out: Path = OUT) -> pstats.Stats:
    page = setup.page(name)
    headers = setup.headers[name]
    client = setup.app.test_client(use_cookies=False)  # the headers as wrk sends them, nothing added
    for _ in range(WARM_REQUESTS):
        answer = client.get(page.path, headers=headers)
        if answer.status_code != 200:
            raise SystemExit(f"Error: {page.path}: HTTP {answer.status_code} in-process")
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(count):
        client.get(page.path, headers=headers)
    profiler.disable()
    elapsed = time.perf_counter() - started
    print(f"{name} ({page.path}): {elapsed / count * 1000:.2f} ms per request (profiled) over {count}")
    stats = pstats.Stats(profiler)
    out.mkdir(parents=True, exist_ok=True)
    stats.dump_stats(out / f"{name}.prof")
    print(f"Written: {out / f'{name}.prof'}")
    return stats


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.split("\n")[0])
    parser.add_argument("page", help="a page's name, as in make bench's results (search_broad, inbox…)")
    parser.add_argument("requests", nargs="?", type=int, default=300)
    arguments = parser.parse_args(argv)
    stats = profile(local(), arguments.page, arguments.requests)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
