"""Surviving a database blip (a restart, a failover, killed backends): requests caught in it get our 503 page
(app.errors), and the connections they held are thrown away rather than handed to the next request.

SQLAlchemy invalidates a pooled connection when it recognises a disconnect, but psycopg reports a terminated
backend as AdminShutdown ("terminating connection due to administrator command"), which it does not count as
one; the rollback at the end of the request then raised on that dead connection, from the teardown, where no
error handler runs. pool_pre_ping (app.config) checks every connection as it leaves the pool.
"""

from __future__ import annotations

import logging

import psycopg
from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine, ExceptionContext
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db

log = logging.getLogger(__name__)

SERVER_GONE = (psycopg.errors.AdminShutdown, psycopg.errors.CrashShutdown, psycopg.errors.CannotConnectNow)


def _server_gone_is_a_disconnect(context: ExceptionContext) -> None:
    if isinstance(context.original_exception, SERVER_GONE):
        context.is_disconnect = True


def discard_session() -> None:
    """Close this context's session; when its connection is broken, drop it without raising, so the next use
    starts on a fresh connection."""
    try:
        db.session.remove()
    except (SQLAlchemyError, psycopg.Error):
        log.warning("the request's database connection was broken; it is discarded")
        db.session.registry.clear()


def _release_session(_error: BaseException | None) -> None:
    """Runs before Flask-SQLAlchemy's own teardown (teardowns run last-registered first), so a session whose
    connection died is discarded here without raising."""
    discard_session()


def init_app(app: Flask) -> None:
    """Call after db.init_app(app)."""
    if not event.contains(Engine, "handle_error", _server_gone_is_a_disconnect):
        event.listen(Engine, "handle_error", _server_gone_is_a_disconnect)
    app.teardown_appcontext(_release_session)
