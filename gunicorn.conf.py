"""Production serving: `gunicorn -c gunicorn.conf.py wsgi:app` (README, Deployment).

Every setting can be changed from the environment without editing this file; gunicorn's own command-line
flags still win over it (`-w 2`, `-b 0.0.0.0:9000`).
"""

from __future__ import annotations

import gc
import multiprocessing
import os


def _int(name: str, default: int) -> int:
    raw = (os.environ.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise SystemExit(f"Error: {name} must be a whole number; got {raw!r}")
    return int(raw)


def default_workers(cores: int) -> int:
    """Sync workers spend much of a request waiting for PostgreSQL, so two per core keeps the cores busy,
    plus one so a single slow request never leaves a core idle. WEB_CONCURRENCY (the usual name on PaaS) wins."""
    return 2 * cores + 1


bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{_int('PORT', 8000)}"
workers = _int("WEB_CONCURRENCY", default_workers(multiprocessing.cpu_count()))
worker_class = "sync"

# A request that takes longer than this is stuck (the slowest page, a PDF, takes well under a second):
# gunicorn kills the worker and starts another rather than let it hold a connection forever.
timeout = _int("GUNICORN_TIMEOUT", 30)
# On SIGTERM (a deploy), requests in flight get this long to finish before their worker is killed.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Behind a reverse proxy that reuses connections; a sync worker holds a kept-alive connection idle, so short.
keepalive = _int("GUNICORN_KEEPALIVE", 5)

# Recycle each worker after about this many requests, so slow growth (caches, fragmentation) cannot pile up.
# 0 turns it off. The jitter adds up to this many more per worker: workers share the load evenly, so with a
# small jitter (it was 200 on 2,000) all of them reached their limit within a second and restarted together,
# cold, answering for a moment in 0.3-0.8 s (make bench's p99 spikes). Half the limit spreads the restarts.
max_requests = _int("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", max_requests // 2)

# Logs go to stdout/stderr for the process manager (systemd, Docker) to collect; GUNICORN_ACCESS_LOG=off
# silences the access log. Each line carries the response time in microseconds (%(D)s).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(D)sus "%(a)s"'
if accesslog == "off":
    accesslog = None

# Import the app once in the master, so a broken configuration stops the start with one line instead of a
# crash loop of workers, and workers share the loaded code's memory (copy-on-write). The price is below.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") != "0"


def when_ready(server) -> None:
    """In the master, once the preloaded app is loaded and before any worker is forked: compile every template,
    so each worker (and each one that replaces a recycled worker, under load) starts with them compiled instead of
    compiling a page's templates on its first request, tens of milliseconds each. Then freeze the loaded heap."""
    if not preload_app:
        return  # nothing was loaded before the fork
    app = getattr(server.app, "callable", None)
    if hasattr(app, "jinja_env"):  # our Flask app, not the bench's raw baseline
        from app.templating import compile_templates

        compile_templates(app)
    gc.collect()
    gc.freeze()


def pre_fork(server, worker) -> None:
    """gc.freeze() moves every object the master holds (the loaded app: some 200,000 of them) out of the garbage
    collector's sight. A worker's full collection then scans only what it made itself: unfrozen, each took about
    0.1 s in a worker, a pause that showed as a burst of slow requests under load. Frozen objects' pages also
    stay shared with the master instead of being copied when a collection touches them. Again before each fork,
    for what the master made since."""
    if preload_app:
        gc.freeze()


def post_fork(server, worker) -> None:
    """A preloaded app has opened database connections in the master (production's start-up role check):
    a forked child must never reuse them, or two processes would talk over one socket. Drop the inherited pool
    without closing its sockets (the master still owns them); each worker then opens its own connections."""
    app = getattr(server.app, "callable", None)
    if not preload_app or not hasattr(app, "app_context"):
        return  # nothing was opened before the fork, or not our Flask app (the bench's raw baseline)
    from app.extensions import db

    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
