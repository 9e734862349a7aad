"""wrk at a fixed concurrency, its latency percentiles read back through bench/wrk_report.lua."""

from __future__ import annotations

import os
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

WRK = os.environ.get("BENCH_WRK", "/usr/bin/wrk")
REPORTER = Path(__file__).with_name("wrk_report.lua")
CONNECTIONS = 8
THREADS = 2


@dataclass(frozen=True)
class Load:
    requests: int
    seconds: float
    req_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    non_2xx: int
    socket_errors: int

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def parse(output: str) -> Load:
    """The BENCH line the reporter prints in wrk's `done` hook."""
    for line in output.splitlines():
        if line.startswith("BENCH "):
            fields = {key: int(value) for key, value in (item.split("=") for item in line.split()[1:])}
            seconds = fields["duration_us"] / 1e6
            return Load(
                requests=fields["requests"],
                seconds=round(seconds, 2),
                req_s=round(fields["requests"] / seconds, 1) if seconds else 0.0,
                p50_ms=fields["p50_us"] / 1000,
                p95_ms=fields["p95_us"] / 1000,
                p99_ms=fields["p99_us"] / 1000,
                max_ms=fields["max_us"] / 1000,
                non_2xx=fields["non2xx"],
                socket_errors=fields["socket_errors"],
            )
    raise ValueError(f"no BENCH line in wrk's output:\n{output}")


def run(url: str, headers: dict[str, str], seconds: float) -> Load:
    command = [
        WRK,
        f"-c{CONNECTIONS}",
        f"-t{THREADS}",
        f"-d{seconds:g}s",
        "--timeout",
        "10s",
        "-s",
        str(REPORTER),
    ]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    done = subprocess.run([*command, url], capture_output=True, text=True, check=True)  # noqa: S603
    return parse(done.stdout)
