"""cProfile of N warm requests to one page, in-process (the same app gunicorn serves, minus the socket).

python -m bench.overhead.profile instance/overhead/pages.pickle browse 500
"""

from __future__ import annotations

import cProfile
import pickle
import pstats
import sys
import time
from pathlib import Path

from app import create_app


def main(pages_file: str, name: str, count: int) -> None:
    pages = pickle.loads(Path(pages_file).read_bytes())  # noqa: S301 - our own capture
    page = next(p for p in pages if p["name"] == name)
    app = create_app()
    client = app.test_client(use_cookies=False)
    headers = {"Cookie": page["cookie"]} if page["cookie"] else {}
    for _ in range(20):
        assert client.get(page["path"], headers=headers, base_url="https://localhost").status_code == 200
    client = app.test_client(use_cookies=False)  # the Cookie header as wrk sends it, nothing added
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(count):
        client.get(page["path"], headers=headers, base_url="https://localhost")
    profiler.disable()
    elapsed = time.perf_counter() - started
    print(f"{name}: {elapsed / count * 1000:.2f} ms per request (profiled) over {count}")
    stats = pstats.Stats(profiler)
    stats.dump_stats(Path(pages_file).parent / f"{name}.prof")
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 300)
