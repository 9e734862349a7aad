"""gunicorn with gunicorn.conf.py, started for the bench and stopped after it; its workers' memory."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from app import PROJECT_ROOT
from bench.browser import PROXY_HEADERS

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


class Server:
    def __init__(self, target: str, port: int, env: dict[str, str], log: Path) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.port = port
        self.log_path = log
        self._log = log.open("wb")
        self.process = subprocess.Popen(  # noqa: S603
            [GUNICORN, "-c", str(PROJECT_ROOT / "gunicorn.conf.py"), "-b", f"127.0.0.1:{port}", target],
            cwd=PROJECT_ROOT,
            env={**os.environ, **env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, path: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn stopped at start-up; see {self.log_path}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", path, headers=PROXY_HEADERS)
                if connection.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer {path} within {timeout:.0f} s; see {self.log_path}")

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return sorted(int(pid) for pid in children)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB, from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0
