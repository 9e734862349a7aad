"""gunicorn.conf.py reads its settings from the environment (README, gunicorn settings)."""

from __future__ import annotations

import multiprocessing
import runpy

import pytest

from app import PROJECT_ROOT

CONF = str(PROJECT_ROOT / "gunicorn.conf.py")


def _settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict:
    for name in ("WEB_CONCURRENCY", "PORT", "GUNICORN_BIND", "GUNICORN_ACCESS_LOG", "GUNICORN_MAX_REQUESTS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(CONF)


def test_defaults_scale_workers_with_the_cores_and_recycle_them_with_jitter(monkeypatch):
    settings = _settings(monkeypatch)

    assert settings["workers"] == 2 * multiprocessing.cpu_count() + 1
    assert settings["bind"] == "0.0.0.0:8000"
    assert settings["max_requests"] > 0 and 0 < settings["max_requests_jitter"] < settings["max_requests"]
    assert settings["accesslog"] == "-" and "%(D)s" in settings["access_log_format"]
    assert settings["timeout"] > 0 and settings["graceful_timeout"] > 0 and settings["preload_app"]


def test_the_environment_chooses_workers_and_address(monkeypatch):
    assert _settings(monkeypatch, WEB_CONCURRENCY="3")["workers"] == 3
    assert _settings(monkeypatch, PORT="9001")["bind"] == "0.0.0.0:9001"
    assert _settings(monkeypatch, PORT="9001", GUNICORN_BIND="127.0.0.1:7000")["bind"] == "127.0.0.1:7000"
    assert _settings(monkeypatch, GUNICORN_ACCESS_LOG="off")["accesslog"] is None


def test_a_setting_that_is_not_a_number_stops_the_start_with_its_name(monkeypatch):
    with pytest.raises(SystemExit, match="WEB_CONCURRENCY must be a whole number"):
        _settings(monkeypatch, WEB_CONCURRENCY="many")
