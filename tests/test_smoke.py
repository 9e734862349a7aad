"""From a clean instance directory, the steps `make run` runs serve the demo, and SIGTERM leaves no postgres behind.

Each step is a real subprocess on the embedded PostgreSQL (DATABASE_URL unset), exactly as on a fresh clone.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests.cli import ROOT, run_flask, run_python

STARTUP_SECONDS = 90

COUNT_ROWS = """
from sqlalchemy import text
from app import create_app
from app.extensions import db
from models import cross_tenant
app = create_app()
with app.app_context(), cross_tenant("counting every table's rows for a test"):
    tables = db.session.execute(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        " ORDER BY 1")).scalars().all()
    for table in tables:
        print(table, db.session.execute(text(f'SELECT count(*) FROM "{table}"')).scalar())
"""


@pytest.fixture(scope="module")
def instance(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("smoke") / "instance"


@pytest.fixture(scope="module")
def env(instance: Path) -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "EMBEDDED_DB_DIR", "APP_ENV", "SECRET_KEY", "FLASK_DEBUG", "FLASK_APP"}
    }
    environment.update(INSTANCE_PATH=str(instance), PYTHONUNBUFFERED="1")
    return environment


def flask(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    result = run_flask(env, *args, timeout=STARTUP_SECONDS)
    assert result.returncode == 0, f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def row_counts(env: dict[str, str]) -> dict[str, int]:
    result = run_python(env, "-c", COUNT_ROWS)
    assert result.returncode == 0, result.stderr
    return {table: int(count) for table, count in (line.split() for line in result.stdout.splitlines())}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - our own local server
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def postgres_processes(pgdata: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        try:
            cmdline = " ".join(process.info["cmdline"] or [])
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        if "postgres" in (process.info["name"] or "") and str(pgdata) in cmdline:
            found.append(process)
    return found


@pytest.fixture(scope="module")
def prepared(env: dict[str, str], instance: Path) -> Iterator[dict[str, str]]:
    """`make run`'s first three steps on a clean instance directory."""
    assert not instance.exists()
    flask(env, "check-db")
    flask(env, "db", "upgrade")
    first_seed = flask(env, "seed-demo", "--if-empty")
    assert "Demo data is ready." in first_seed.stdout
    yield env
    for process in postgres_processes(instance / "pgdata"):  # only if a test failed half-way
        process.terminate()


def test_seeding_the_demo_again_changes_no_row_counts_and_prints_the_logins(prepared):
    counts = row_counts(prepared)
    assert counts["Tenant"] > 0 and counts["Invoice"] > 0 and counts["ServiceListing"] > 0

    again = flask(prepared, "seed-demo")
    if_empty = flask(prepared, "seed-demo", "--if-empty")

    assert row_counts(prepared) == counts
    for output in (again.stdout, if_empty.stdout):
        assert "client@example.com" in output
        assert "buyer@example.com" in output
        assert "seller@example.com" in output
        assert "demo-password-1" in output
    assert "not loaded again" in if_empty.stdout


def test_served_pages_answer_200_and_sigterm_leaves_no_postgres_running(prepared, instance):
    pgdata = instance / "pgdata"
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - our own CLI with fixed arguments
        [sys.executable, "-m", "flask", "--app", "wsgi", "run", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=prepared,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert server.poll() is None, f"server exited early:\n{server.stdout.read()}"
            try:
                home = get(base + "/")
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, "server did not answer in time"
                time.sleep(0.2)
        assert home == 200
        assert get(base + "/portal/sunny-acres/login") == 200
        assert postgres_processes(pgdata), "expected the embedded server to be running under the instance dir"
        postmaster_pid = int((pgdata / "postmaster.pid").read_text().split()[0])

        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()

    deadline = time.monotonic() + 30
    while (postgres_processes(pgdata) or psutil.pid_exists(postmaster_pid)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not postgres_processes(pgdata), "postgres processes left behind after SIGTERM"
    assert not psutil.pid_exists(postmaster_pid)
    assert not (pgdata / "postmaster.pid").exists()
