"""Configuration read from the environment when the app is built (not at import time, so tests can vary it)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


class ConfigError(RuntimeError):
    """The environment is missing something the app cannot run without."""


ENVIRONMENTS = ("development", "testing", "production")


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _count(name: str) -> int:
    raw = os.environ.get(name, "0").strip() or "0"
    if not raw.isdigit():
        raise ConfigError(
            f"{name} must be a whole number (how many proxies stand in front of the app); got {raw!r}"
        )
    return int(raw)


def _switch(name: str, default: bool) -> bool:
    raw = (os.environ.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
        raise ConfigError(f"{name} must be on or off; got {raw!r}")
    return raw in ("1", "true", "yes", "on")


def _bounded(name: str, default: int, low: int, high: int, meaning: str) -> int:
    raw = (os.environ.get(name) or "").strip() or str(default)
    if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
        raise ConfigError(f"{name} must be a whole number from {low} to {high} ({meaning}); got {raw!r}")
    return int(raw)


S3_SETTINGS = {
    "S3_BUCKET": "bucket",
    "S3_ENDPOINT_URL": "endpoint_url",
    "S3_REGION": "region",
    "S3_ACCESS_KEY_ID": "access_key_id",
    "S3_SECRET_ACCESS_KEY": "secret_access_key",
    "S3_PUBLIC_URL": "public_url",
    "S3_PREFIX": "prefix",
    "S3_ADDRESSING_STYLE": "addressing_style",
}


def _web_address(name: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(f"{name} must be an http(s) address, like https://files.example.com; got {value!r}")
    return value.rstrip("/")


def s3_settings(environ: Mapping[str, str] | None = None) -> dict[str, str] | None:
    """The S3-compatible store for uploads, or None for files under UPLOADS_DIR. Any S3_* setting switches to
    S3; one that cannot work on its own (no bucket, half a key pair) stops the app with one line."""
    environ = os.environ if environ is None else environ
    found = {key: value for name, key in S3_SETTINGS.items() if (value := (environ.get(name) or "").strip())}
    if not found:
        return None
    given = ", ".join(name for name in S3_SETTINGS if (environ.get(name) or "").strip())
    if "bucket" not in found:
        raise ConfigError(f"S3 storage is half-configured: {given} set but S3_BUCKET is missing.")
    if ("access_key_id" in found) != ("secret_access_key" in found):
        raise ConfigError(
            "S3 storage is half-configured: set both S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, or neither "
            "(to use the machine's own AWS credentials)."
        )
    for key, name in (("endpoint_url", "S3_ENDPOINT_URL"), ("public_url", "S3_PUBLIC_URL")):
        if key in found:
            found[key] = _web_address(name, found[key])
    if found.get("addressing_style", "auto") not in ("auto", "path", "virtual"):
        raise ConfigError(
            f"S3_ADDRESSING_STYLE must be auto, path or virtual; got {found['addressing_style']!r}"
        )
    if "prefix" in found:
        prefix = found["prefix"].strip("/")
        if not re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*", prefix):
            raise ConfigError(f"S3_PREFIX must be a key prefix like media/prod; got {found['prefix']!r}")
        found["prefix"] = prefix + "/"
    return found


def engine_options() -> dict[str, Any]:
    """The connection pool of each engine (the primary's and every replica's), per worker process.

    A sync gunicorn worker serves one request at a time, so a handful of connections covers it (threads, the
    streamed CSV export); the defaults keep workers x (size + overflow) under a stock server's 100 connections.
    pool_pre_ping tests each connection as it leaves the pool, so one killed by a restart or a failover is
    replaced instead of failing the request; recycle retires connections before a proxy's idle timeout does.
    psycopg prepares a statement on the server once a connection has run it five times (kept across requests
    because a transaction that only read ends with COMMIT: models/read_only_commit.py); PgBouncer in transaction
    mode before 1.21 (or without max_prepared_statements) cannot follow that, so DATABASE_PREPARED_STATEMENTS=off
    turns it off (docs/performance.md, "Scaling out")."""
    connect_args: dict[str, Any] = {"connect_timeout": 10}
    if not _switch("DATABASE_PREPARED_STATEMENTS", True):
        connect_args["prepare_threshold"] = None
    return {
        "pool_pre_ping": True,
        "pool_size": _bounded("DATABASE_POOL_SIZE", 5, 1, 100, "connections each worker keeps open"),
        "max_overflow": _bounded(
            "DATABASE_MAX_OVERFLOW", 5, 0, 100, "extra connections a worker may open at a peak"
        ),
        "pool_recycle": _bounded(
            "DATABASE_POOL_RECYCLE_SECONDS", 1800, 1, 86_400, "seconds before a connection is replaced"
        ),
        "pool_timeout": _bounded(
            "DATABASE_POOL_TIMEOUT_SECONDS", 10, 1, 300, "seconds a request waits for a free connection"
        ),
        "connect_args": connect_args,
    }


def replica_urls(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """DATABASE_REPLICA_URLS: read replicas of DATABASE_URL's database, comma-separated, each as the same
    application role. None by default, in every environment: public pages then read from the primary."""
    environ = os.environ if environ is None else environ
    raw = (environ.get("DATABASE_REPLICA_URLS") or "").strip()
    if not raw:
        return ()
    urls = []
    for number, item in enumerate(raw.split(","), start=1):
        value = item.strip()
        try:
            url = make_url(value)
        except ArgumentError:
            url = None
        if url is None or url.drivername not in ("postgresql", "postgresql+psycopg"):
            shown = url.render_as_string(hide_password=True) if url is not None else "not a URL"
            raise ConfigError(
                f"DATABASE_REPLICA_URLS entry {number} must be a PostgreSQL URL like "
                f"postgresql+psycopg://breeder_app:…@replica-1:5432/breeder; got {shown!r}"
            )
        if not url.database:
            raise ConfigError(f"DATABASE_REPLICA_URLS entry {number} names no database; add /<database>")
        urls.append(url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False))
    return tuple(urls)


STRIPE_KEYS = ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET")
STRIPE_KEY_PREFIXES = {
    "STRIPE_SECRET_KEY": "sk_",
    "STRIPE_PUBLISHABLE_KEY": "pk_",
    "STRIPE_WEBHOOK_SECRET": "whsec_",
}


def _payments(production: bool) -> dict[str, Any]:
    """Real Stripe with all three keys; the embedded localstripe with none (outside production); no online
    payment in production without keys (payments/gateway.py logs it and the pages say so)."""
    keys = {name: (os.environ.get(name) or "").strip() or None for name in STRIPE_KEYS}
    given = [name for name, value in keys.items() if value]
    if given and len(given) != len(keys):
        missing = ", ".join(name for name in STRIPE_KEYS if name not in given)
        raise ConfigError(f"Set all three Stripe keys or none of them; {missing} missing.")
    for name, value in keys.items():
        if value and not value.startswith(STRIPE_KEY_PREFIXES[name]):
            raise ConfigError(
                f"{name} must start with {STRIPE_KEY_PREFIXES[name]!r} (from the Stripe dashboard)."
            )
    mode = "stripe" if given else ("off" if production else "embedded")
    return {"PAYMENTS_MODE": mode, **keys, "STRIPE_API_BASE": None, "STRIPE_JS_URL": None}


MAIL_BACKENDS = ("smtp", "log")


def _mail_backend(production: bool) -> str:
    """smtp when MAIL_SERVER is set, else the log. Production must say MAIL_BACKEND=log out loud to go without
    a mail server: its log then carries no links, since a reset or verification link is a key to an account."""
    chosen = (os.environ.get("MAIL_BACKEND") or "").strip().lower()
    if chosen and chosen not in MAIL_BACKENDS:
        raise ConfigError(f"MAIL_BACKEND must be one of {', '.join(MAIL_BACKENDS)}; got {chosen!r}")
    has_server = bool((os.environ.get("MAIL_SERVER") or "").strip())
    if chosen == "smtp" and not has_server:
        raise ConfigError("MAIL_BACKEND=smtp needs MAIL_SERVER; refusing to start.")
    if production and not has_server and chosen != "log":
        raise ConfigError(
            "MAIL_SERVER must be set in production (invitations, resets and verification go by e-mail), "
            "or MAIL_BACKEND=log to write mail to the log with its links removed; refusing to start."
        )
    return chosen or ("smtp" if has_server else "log")


def load_config(env_name: str | None = None) -> dict[str, Any]:
    env_name = (env_name or os.environ.get("APP_ENV") or "development").lower()
    if env_name not in ENVIRONMENTS:
        raise ConfigError(f"APP_ENV must be one of {', '.join(ENVIRONMENTS)}; got {env_name!r}")
    production = env_name == "production"
    secret_key = os.environ.get("SECRET_KEY")
    if production and not secret_key:
        raise ConfigError("SECRET_KEY must be set in production (APP_ENV=production); refusing to start.")
    public_url = (os.environ.get("PUBLIC_URL") or "").strip().rstrip("/") or None
    if public_url and (
        urlsplit(public_url).scheme not in ("http", "https") or not urlsplit(public_url).netloc
    ):
        raise ConfigError(
            f"PUBLIC_URL must be an http(s) address, like https://example.com; got {public_url!r}"
        )
    if production and not public_url:
        # Links in e-mails (password resets, invitations) are built on it. Taken from the request instead, they
        # would follow whatever Host header an attacker sends, and deliver a victim's reset token to them.
        raise ConfigError(
            "PUBLIC_URL must be set in production (the site's address, like https://example.com); refusing to start."
        )

    database_url = (os.environ.get("DATABASE_URL") or "").strip() or None
    mail_backend = _mail_backend(production)
    single_process = _bool("SINGLE_PROCESS", False)
    if production and not os.environ.get("REDIS_URL") and not single_process:
        # Without a shared store each worker counts its own attempts: two workers allow twice the limit.
        raise ConfigError(
            "REDIS_URL must be set in production (rate limits are shared by every worker through it), "
            "or SINGLE_PROCESS=1 when exactly one process serves the site; refusing to start."
        )

    return {
        "ENV_NAME": env_name,
        "PRODUCTION": production,
        "TESTING": env_name == "testing",
        # Unset outside production: create_app uses a random key kept in the instance folder (never one
        # written in the repository, which would let anyone forge sessions and invite links).
        "SECRET_KEY": secret_key or ("testing-only-not-secret" if env_name == "testing" else None),
        "PUBLIC_URL": public_url,
        # How many reverse proxies we run in front of the app. Only their X-Forwarded-For/-Proto hops are
        # believed; with 0 (the default) those headers are anyone's to forge and are ignored.
        "TRUSTED_PROXIES": _count("TRUSTED_PROXIES"),
        # The application's role: owns nothing, held to row-level security. Migrations run as the tables' owner
        # (MIGRATION_DATABASE_URL; without it, DATABASE_URL's role, as the embedded server's setup never needs).
        "SQLALCHEMY_DATABASE_URI": database_url,
        "MIGRATION_DATABASE_URI": (os.environ.get("MIGRATION_DATABASE_URL") or "").strip() or None,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(),
        # Public pages read from these (app/replicas.py); everything signed in and every write uses the primary.
        "DATABASE_REPLICA_URLS": replica_urls(),
        # A browser that sent a write reads from the primary for this long after it, to see its own change.
        "REPLICA_READ_YOUR_WRITES_SECONDS": _bounded(
            "REPLICA_READ_YOUR_WRITES_SECONDS", 10, 0, 3600, "seconds a writer keeps reading the primary"
        ),
        # A replica that failed is left alone this long; its reads go to the others, or the primary.
        "REPLICA_RETRY_SECONDS": _bounded(
            "REPLICA_RETRY_SECONDS", 30, 1, 3600, "seconds a failed replica is skipped"
        ),
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production or _bool("SESSION_COOKIE_SECURE", False),
        "REMEMBER_COOKIE_SECURE": production,
        "PERMANENT_SESSION_LIFETIME": timedelta(minutes=30),
        "SESSION_IDLE_LIMIT": timedelta(minutes=30),
        "SESSION_ABSOLUTE_LIMIT": timedelta(hours=12),
        # The CSRF token lives as long as the session, which has its own idle and absolute limits.
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "REDIS_URL": os.environ.get("REDIS_URL"),
        "RATELIMIT_STORAGE_URI": os.environ.get("REDIS_URL") or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True),
        # The listing browser's category counts (marketplace/facet_cache.py); 0 turns the cache off.
        "LISTING_COUNTS_TTL_SECONDS": int(os.environ.get("LISTING_COUNTS_TTL_SECONDS", "30")),
        # How long a provider page's reply rate and time are reused before they are recomputed from the messages
        # (marketplace/providers/queries.py); 0 recomputes them on every view.
        "PROVIDER_STATS_TTL_SECONDS": _bounded(
            "PROVIDER_STATS_TTL_SECONDS", 3600, 0, 7 * 86400, "seconds a provider's reply figures are reused"
        ),
        # The marketplace's fee on a recorded sale, in basis points (500 = 5 %; see models/sales.py), and how
        # many days after issue a sale's invoice falls due.
        "MARKETPLACE_FEE_BPS": _bounded(
            "MARKETPLACE_FEE_BPS", 500, 0, 10_000, "the platform fee in basis points, 500 = 5 %"
        ),
        "INVOICE_DUE_DAYS": _bounded("INVOICE_DUE_DAYS", 14, 0, 365, "days from issue to due date"),
        "MAIL_BACKEND": mail_backend,
        "MAIL_SERVER": os.environ.get("MAIL_SERVER"),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "587")),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD"),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", True),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "Breeder Portal <no-reply@localhost>"),
        # argon2-cffi's defaults in production; the tests swap in the cheapest profile.
        "PASSWORD_HASH_PROFILE": "cheapest" if env_name == "testing" else "default",
        "EMBEDDED_DB_DIR": os.environ.get("EMBEDDED_DB_DIR"),
        # Uploaded photos and attachments (app/storage.py): the S3-compatible store when S3_* is set, else
        # files under UPLOADS_DIR (create_app makes it <instance>/uploads when unset).
        "S3": s3_settings(),
        "UPLOADS_DIR": os.environ.get("UPLOADS_DIR"),
        # Online card payments (payments/gateway.py). STRIPE_API_BASE and STRIPE_JS_URL stay None for Stripe's
        # own addresses; the embedded localstripe (and the tests' one) fills them in.
        **_payments(production),
    }
