"""Misconfiguration stops the app at start-up with one clear line, and never leaks a secret."""

from __future__ import annotations

import os
import subprocess

import pytest

from app import create_app, replicas
from app.config import ConfigError, engine_options
from app.extensions import db
from tests.cli import run_flask

UNREACHABLE = "postgresql+psycopg://user:s3cret@127.0.0.1:1/x"


def flask(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "APP_ENV", "SECRET_KEY"}
    }
    return run_flask(environment | env, *args)


def test_production_without_secret_key_refuses_to_build_the_app(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY must be set in production"):
        create_app({"SQLALCHEMY_DATABASE_URI": UNREACHABLE}, env_name="production")


def test_production_without_secret_key_refuses_to_start_from_the_command_line():
    result = flask("check-db", APP_ENV="production", DATABASE_URL=UNREACHABLE)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "Error: SECRET_KEY must be set in production (APP_ENV=production); refusing to start."
    ]


def _production_settings(monkeypatch, **overrides: str | None) -> None:
    """Every setting production requires, then the overrides (None removes one)."""
    settings = {
        "SECRET_KEY": "a-long-random-production-secret",
        "PUBLIC_URL": "https://breeders.example",
        "MAIL_SERVER": "smtp.breeders.example",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "MAIL_BACKEND": None,
        "SINGLE_PROCESS": None,
    } | overrides
    for name, value in settings.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)


def test_production_with_a_secret_key_builds_the_app(monkeypatch):
    _production_settings(monkeypatch)
    app = create_app({"SQLALCHEMY_DATABASE_URI": UNREACHABLE}, env_name="production")
    assert app.config["SECRET_KEY"] == "a-long-random-production-secret"
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_check_db_with_an_unreachable_database_prints_one_line_naming_the_host_and_not_the_password():
    result = flask("check-db", DATABASE_URL=UNREACHABLE)

    assert result.returncode != 0
    output = result.stdout + result.stderr
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert "127.0.0.1:1" in lines[0]
    assert "s3cret" not in output


def test_production_without_a_public_url_refuses_to_build_the_app(monkeypatch):
    # E-mailed links (password resets) are built on it; without it they would follow the request's Host header.
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret")
    monkeypatch.delenv("PUBLIC_URL", raising=False)
    with pytest.raises(ConfigError, match="PUBLIC_URL must be set in production"):
        create_app({"SQLALCHEMY_DATABASE_URI": UNREACHABLE}, env_name="production")


def test_development_without_a_secret_key_uses_a_random_key_kept_in_the_instance_folder(
    monkeypatch, tmp_path
):
    # A key written in the repository signs nothing: anyone could forge sessions and invite links with it.
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    first = create_app({"SQLALCHEMY_DATABASE_URI": UNREACHABLE}, env_name="development")
    again = create_app({"SQLALCHEMY_DATABASE_URI": UNREACHABLE}, env_name="development")
    key = first.config["SECRET_KEY"]
    assert len(key) >= 32 and key != "dev-only-not-secret"
    assert again.config["SECRET_KEY"] == key  # `flask portal invite` and the server sign alike
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "elsewhere"))
    assert (
        create_app({"SQLALCHEMY_DATABASE_URI": UNREACHABLE}, env_name="development").config["SECRET_KEY"]
        != key
    )


def test_a_public_url_that_is_not_a_web_address_refuses_to_build_the_app(monkeypatch):
    monkeypatch.setenv("PUBLIC_URL", "breeders.example")
    with pytest.raises(ConfigError, match="PUBLIC_URL must be an http"):
        create_app({"SQLALCHEMY_DATABASE_URI": UNREACHABLE}, env_name="testing")


def test_production_without_a_mail_server_refuses_to_build_the_app(monkeypatch):
    # Without one, reset and verification links would go to the log, where anyone who reads logs could use them.
    _production_settings(monkeypatch, MAIL_SERVER=None)
    with pytest.raises(ConfigError, match="MAIL_SERVER must be set in production"):
        create_app({"SQLALCHEMY_DATABASE_URI": UNREACHABLE}, env_name="production")


def test_production_without_a_mail_server_refuses_to_start_from_the_command_line():
    result = flask(
        "check-db",
        APP_ENV="production",
        DATABASE_URL=UNREACHABLE,
        SECRET_KEY="a-long-random-production-secret",
        PUBLIC_URL="https://breeders.example",
        REDIS_URL="redis://127.0.0.1:6379/0",
        MAIL_SERVER="",
    )
    assert result.returncode != 0
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Error: MAIL_SERVER must be set in production")


def test_production_may_log_mail_only_when_told_and_then_logs_no_links(monkeypatch, caplog):
    _production_settings(monkeypatch, MAIL_SERVER=None, MAIL_BACKEND="log")
    app = create_app({"SQLALCHEMY_DATABASE_URI": UNREACHABLE}, env_name="production")
    assert app.config["MAIL_BACKEND"] == "log"
    from app.mail import send_mail

    with app.app_context(), caplog.at_level("INFO", logger="app.mail"):
        send_mail(
            "client@example.test", "Reset", "Open https://breeders.example/reset-password/SECRET-TOKEN now."
        )

    assert "SECRET-TOKEN" not in caplog.text
    assert "[link removed from the log]" in caplog.text


def test_development_logs_mail_with_its_links(app, caplog):
    from app.mail import send_mail

    with app.app_context(), caplog.at_level("INFO", logger="app.mail"):
        send_mail(
            "client@example.test", "Reset", "Open https://breeders.example/reset-password/DEV-TOKEN now."
        )
    assert "DEV-TOKEN" in caplog.text


@pytest.mark.parametrize("backend", ["smtp", "carrier-pigeon"])
def test_a_mail_backend_that_cannot_work_refuses_to_build_the_app(monkeypatch, backend):
    _production_settings(monkeypatch, MAIL_SERVER=None, MAIL_BACKEND=backend)
    with pytest.raises(ConfigError, match="MAIL_BACKEND"):
        create_app({"SQLALCHEMY_DATABASE_URI": UNREACHABLE}, env_name="production")


def test_production_without_redis_refuses_to_build_the_app_unless_single_process(monkeypatch):
    # Two workers with their own in-memory counters allowed 16 failed sign-ins where the limit is 8.
    _production_settings(monkeypatch, REDIS_URL=None)
    with pytest.raises(ConfigError, match="REDIS_URL must be set in production"):
        create_app({"SQLALCHEMY_DATABASE_URI": UNREACHABLE}, env_name="production")

    monkeypatch.setenv("SINGLE_PROCESS", "1")
    app = create_app({"SQLALCHEMY_DATABASE_URI": UNREACHABLE}, env_name="production")
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_production_answers_with_hsts_and_development_does_not(monkeypatch, app):
    _production_settings(monkeypatch)
    production = create_app({"SQLALCHEMY_DATABASE_URI": UNREACHABLE}, env_name="production")
    response = production.test_client().get("/static/css/app.css")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"

    assert "Strict-Transport-Security" not in app.test_client().get("/static/css/app.css").headers


def test_the_pool_settings_come_from_the_environment_with_pre_ping_always_on(monkeypatch):
    for name in ("DATABASE_POOL_SIZE", "DATABASE_MAX_OVERFLOW", "DATABASE_POOL_RECYCLE_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_POOL_TIMEOUT_SECONDS", "3")
    defaults = create_app({"SQLALCHEMY_DATABASE_URI": UNREACHABLE}, env_name="testing")
    monkeypatch.setenv("DATABASE_POOL_SIZE", "12")
    monkeypatch.setenv("DATABASE_MAX_OVERFLOW", "0")
    monkeypatch.setenv("DATABASE_POOL_RECYCLE_SECONDS", "600")
    chosen = create_app({"SQLALCHEMY_DATABASE_URI": UNREACHABLE}, env_name="testing")

    with defaults.app_context():
        pool = db.engine.pool
        assert (pool.size(), pool._max_overflow, pool._recycle, pool._timeout) == (5, 5, 1800, 3)
        assert pool._pre_ping is True
    with chosen.app_context():
        pool = db.engine.pool
        assert (pool.size(), pool._max_overflow, pool._recycle, pool._timeout) == (12, 0, 600, 3)
        assert pool._pre_ping is True


def test_prepared_statements_can_be_turned_off_for_pgbouncer(monkeypatch):
    monkeypatch.delenv("DATABASE_PREPARED_STATEMENTS", raising=False)
    assert "prepare_threshold" not in engine_options()["connect_args"]
    monkeypatch.setenv("DATABASE_PREPARED_STATEMENTS", "off")
    assert engine_options()["connect_args"] == {"connect_timeout": 10, "prepare_threshold": None}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_PREPARED_STATEMENTS", "sometimes"),
        ("DATABASE_POOL_SIZE", "0"),
        ("DATABASE_POOL_SIZE", "ten"),
        ("DATABASE_MAX_OVERFLOW", "-1"),
        ("DATABASE_POOL_RECYCLE_SECONDS", "1.5"),
        ("DATABASE_POOL_TIMEOUT_SECONDS", "9999"),
    ],
)
def test_a_pool_setting_out_of_range_refuses_to_build_the_app(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=f"{name} must be "):
        create_app({"SQLALCHEMY_DATABASE_URI": UNREACHABLE}, env_name="testing")


def test_a_bad_pool_setting_stops_the_command_line_with_one_line():
    result = flask("check-db", DATABASE_URL=UNREACHABLE, DATABASE_POOL_SIZE="lots")
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "Error: DATABASE_POOL_SIZE must be a whole number from 1 to 100 (connections each worker keeps open); "
        "got 'lots'"
    ]


def test_replica_urls_get_the_same_pool_and_none_is_assumed(monkeypatch):
    monkeypatch.delenv("DATABASE_REPLICA_URLS", raising=False)
    assert (
        create_app({"SQLALCHEMY_DATABASE_URI": UNREACHABLE}, env_name="testing").config[
            "DATABASE_REPLICA_URLS"
        ]
        == ()
    )

    monkeypatch.setenv(
        "DATABASE_REPLICA_URLS",
        "postgresql://breeder_app:pw@replica-1:5432/breeder, postgresql+psycopg://breeder_app:pw@replica-2/breeder",
    )
    app = create_app({"SQLALCHEMY_DATABASE_URI": UNREACHABLE}, env_name="testing")
    engines = replicas.engines(app)
    assert [(engine.url.host, engine.url.drivername) for engine in engines] == [
        ("replica-1", "postgresql+psycopg"),
        ("replica-2", "postgresql+psycopg"),
    ]
    assert all(engine.pool._pre_ping and engine.pool.size() == 5 for engine in engines)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("mysql://breeder_app:s3cret@replica/breeder", "entry 1 must be a PostgreSQL URL"),
        ("postgresql://breeder_app:s3cret@replica-1/breeder,not a url", "entry 2 must be a PostgreSQL URL"),
        ("postgresql://breeder_app:s3cret@replica-1", "entry 1 names no database"),
    ],
)
def test_a_bad_replica_url_stops_the_command_line_with_one_line_and_no_password(value, message):
    result = flask("check-db", DATABASE_URL=UNREACHABLE, DATABASE_REPLICA_URLS=value)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "s3cret" not in result.stdout + result.stderr
