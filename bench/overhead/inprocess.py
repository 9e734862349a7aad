"""The same comparison without sockets or gunicorn: each page through the app (test client) and through the raw
baseline (bench/overhead/raw_app.py, called as WSGI), in alternating batches in one process, so both share
whatever else the machine is doing. Prints milliseconds per request and raw/app (the throughput ratio one worker
would show), and the CPU milliseconds each spends in this process.

    OVERHEAD_PAGES=instance/overhead/pages.pickle python -m bench.overhead.inprocess [requests per batch] [batches]
"""

from __future__ import annotations

import os
import pickle
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from werkzeug.test import Client

from app import create_app


def _timed(call: Any, count: int, cpu: list[float] | None = None) -> float:
    started, started_cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        call()
    if cpu is not None:
        cpu.append((time.process_time() - started_cpu) / count * 1000)
    return (time.perf_counter() - started) / count * 1000


def main(count: int, batches: int) -> None:
    from bench.overhead import raw_app

    pages = pickle.loads(Path(os.environ["OVERHEAD_PAGES"]).read_bytes())  # noqa: S301 - our own capture
    app = create_app()
    client = app.test_client(use_cookies=False)
    raw = Client(raw_app.app)
    for page in pages:
        headers = {"Cookie": page["cookie"]} if page["cookie"] else {}

        def through_app(page: dict[str, Any] = page, headers: dict[str, str] = headers) -> None:
            assert client.get(page["path"], headers=headers).status_code == 200

        def through_raw(page: dict[str, Any] = page) -> None:
            assert raw.get(page["path"]).status_code == 200

        _timed(through_app, 20)
        _timed(through_raw, 20)
        app_ms, raw_ms, app_cpu, raw_cpu = [], [], [], []
        for _ in range(batches):
            app_ms.append(_timed(through_app, count, app_cpu))
            raw_ms.append(_timed(through_raw, count, raw_cpu))
        ratios = [r / a for a, r in zip(app_ms, raw_ms, strict=True)]
        print(
            f"{page['name']:16s} app {statistics.median(app_ms):6.2f} ms  raw {statistics.median(raw_ms):6.2f} ms  "
            f"raw/app median {statistics.median(ratios):.2f} (batches {', '.join(f'{r:.2f}' for r in ratios)}); "
            f"CPU app {statistics.median(app_cpu):.2f} ms, raw {statistics.median(raw_cpu):.2f} ms"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100, int(sys.argv[2]) if len(sys.argv) > 2 else 5)
