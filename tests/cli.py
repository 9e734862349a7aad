"""Run this project's command line (`flask --app wsgi ...`, or a Python snippet) as a real subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_python(env: dict[str, str], *args: str, timeout: int = 60) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own interpreter with fixed arguments
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_flask(env: dict[str, str], *args: str, timeout: int = 60) -> subprocess.CompletedProcess:
    return run_python(env, "-m", "flask", "--app", "wsgi", *args, timeout=timeout)
