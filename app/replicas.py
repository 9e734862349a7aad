"""Read replicas for the public pages: browse, search and a listing's page, when nobody is signed in.

DATABASE_REPLICA_URLS names streaming replicas of the primary, each as the application's own role (a physical
replica has the primary's roles, grants and row-level security). A view marked @public_read runs with its
session routed: plain SELECTs go to one replica, picked at random per request among those not failing. Routing
stops for the rest of the session at its first write (any flush, any INSERT/UPDATE/DELETE, any SELECT … FOR
UPDATE, any raw SQL), so a session reads what it wrote; anything signed in, and any request other than a GET or
HEAD, never routes at all. The tenant scope reaches a replica's transactions as it reaches the primary's
(models.scoping copies it into every transaction of every engine), so row-level security holds there too.

Read-your-writes across requests: a replica lags the primary by a little. A browser that has just written (any
unsafe request, or any request whose session flushed) gets a short cookie, and reads from the primary until it
expires (REPLICA_READ_YOUR_WRITES_SECONDS), so a seller who publishes a listing and signs out sees it at once.

A replica that fails (refuses connections, or a query on it fails with an operational error) is skipped for
REPLICA_RETRY_SECONDS, and the request that met the failure runs its view again on the primary: a public read
renders nothing before its queries finish, so the visitor sees only a slower page.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, has_app_context, request
from flask_login import current_user
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, UOWTransaction

from app.extensions import db
from app.outages import discard_session
from app.read_routing import READ_FROM, Replica, ReplicaSet

log = logging.getLogger(__name__)

EXTENSION = "read_replicas"
WROTE = "database_written"  # flask.g: this request's session flushed
COOKIE = "primary_reads_until"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
V = TypeVar("V", bound=Callable[..., Any])


def replica_set() -> ReplicaSet | None:
    return current_app.extensions.get(EXTENSION)


def engines(app: Flask) -> list[Engine]:
    found: ReplicaSet | None = app.extensions.get(EXTENSION)
    return [replica.engine for replica in found.replicas] if found else []


def reading_from_replica() -> bool:
    """Whether this request's session still sends its reads to a replica (caches keep such results apart)."""
    return has_app_context() and EXTENSION in current_app.extensions and READ_FROM in db.session().info


def _wrote_recently() -> bool:
    raw = request.cookies.get(COOKIE, "")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12:  # a Unix time, not 4,000 digits for int()
        return False
    now = time.time()
    # Honoured only inside the window it could have been set for: a forged far-future value buys nothing.
    return now < int(raw) <= now + current_app.config["REPLICA_READ_YOUR_WRITES_SECONDS"] + 1


def _replica_for_this_request() -> Replica | None:
    replicas = replica_set()
    if replicas is None or request.method not in ("GET", "HEAD") or _wrote_recently():
        return None
    if current_user.is_authenticated:
        return None
    return replicas.choose()


def public_read(view: V) -> V:
    """Mark a public, read-only GET view: signed out and not just after a write, it reads from a replica, and
    from the primary when that replica fails."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        replica = _replica_for_this_request()
        if replica is None:
            return view(*args, **kwargs)
        db.session().info[READ_FROM] = replica
        try:
            return view(*args, **kwargs)
        except DBAPIError as error:
            if not replica_set().is_skipped(replica):  # type: ignore[union-attr]
                raise  # not the replica's failure (handle_error marks the replica's own)
            log.warning(
                "read replica %s failed during %s; reading from the primary", replica.name, request.path
            )
            log.debug("the replica's error", exc_info=error)
        discard_session()  # with its replica connection, which may be dead
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def _remember_the_write(session: Session, _flush: UOWTransaction) -> None:
    if has_app_context():
        g.setdefault(WROTE, True)


def _mark_writer(response: Response) -> Response:
    """After an unsafe request, or any request that wrote: read from the primary for a while."""
    if EXTENSION not in current_app.extensions or (request.method in SAFE_METHODS and not g.get(WROTE)):
        return response
    seconds = current_app.config["REPLICA_READ_YOUR_WRITES_SECONDS"]
    if seconds:
        response.set_cookie(
            COOKIE,
            str(int(time.time()) + seconds),
            max_age=seconds,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
    return response


def _on_error(replicas: ReplicaSet, replica: Replica) -> Callable[[ExceptionContext], None]:
    def failed(context: ExceptionContext) -> None:
        if isinstance(context.sqlalchemy_exception, OperationalError) or context.is_disconnect:
            replicas.failed(replica)

    return failed


def make_replica_set(urls: Sequence[str], engine_options: dict[str, Any], retry_seconds: float) -> ReplicaSet:
    replicas = [
        Replica(create_engine(url, **engine_options), name=f"#{number}")
        for number, url in enumerate(urls, start=1)
    ]
    replica_set = ReplicaSet(replicas, retry_seconds)
    for replica in replicas:
        # Connection failures reach handle_error too (SQLAlchemy 2.0), the pre-ping's reconnect among them.
        event.listen(replica.engine, "handle_error", _on_error(replica_set, replica))
    return replica_set


def init_app(app: Flask) -> None:
    """Call after db.init_app(app). Without DATABASE_REPLICA_URLS, nothing routes and no cookie is set."""
    urls = app.config.get("DATABASE_REPLICA_URLS") or ()
    if urls:
        app.extensions[EXTENSION] = make_replica_set(
            urls, dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"]), app.config["REPLICA_RETRY_SECONDS"]
        )
    if not event.contains(Session, "after_flush", _remember_the_write):
        event.listen(Session, "after_flush", _remember_the_write)
    app.after_request(_mark_writer)
