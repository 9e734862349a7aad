"""Misconfiguration stops the app at start-up with one clear line, and never leaks a secret."""

from __future__ import annotations

import os
import subprocess

import pytest

from app import create_app
from app.config import ConfigError
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
