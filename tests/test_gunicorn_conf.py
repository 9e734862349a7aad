"""gunicorn.conf.py reads its settings from the environment (README, gunicorn settings)."""

from __future__ import annotations

import gc
import multiprocessing
import runpy
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from flask import Flask

from app import PROJECT_ROOT
from app.extensions import db

CONF = str(PROJECT_ROOT / "gunicorn.conf.py")


def _settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict:
    for name in (
        "WEB_CONCURRENCY",
        "PORT",
        "GUNICORN_BIND",
        "GUNICORN_ACCESS_LOG",
        "GUNICORN_MAX_REQUESTS",
        "GUNICORN_MAX_REQUESTS_JITTER",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(CONF)


def test_defaults_scale_workers_with_the_cores_and_recycle_them_with_jitter(monkeypatch):
    settings = _settings(monkeypatch)

    assert settings["workers"] == 2 * multiprocessing.cpu_count() + 1
    assert settings["bind"] == "0.0.0.0:8000"
    # Workers share the load evenly: a jitter of half the limit keeps them from all restarting in one moment.
    assert settings["max_requests"] > 0 and settings["max_requests_jitter"] == settings["max_requests"] // 2
    assert settings["accesslog"] == "-" and "%(D)s" in settings["access_log_format"]
    assert settings["timeout"] > 0 and settings["graceful_timeout"] > 0 and settings["preload_app"]


def test_the_environment_chooses_workers_and_address(monkeypatch):
    assert _settings(monkeypatch, WEB_CONCURRENCY="3")["workers"] == 3
    assert _settings(monkeypatch, PORT="9001")["bind"] == "0.0.0.0:9001"
    assert _settings(monkeypatch, PORT="9001", GUNICORN_BIND="127.0.0.1:7000")["bind"] == "127.0.0.1:7000"
    assert _settings(monkeypatch, GUNICORN_ACCESS_LOG="off")["accesslog"] is None
    recycled = _settings(monkeypatch, GUNICORN_MAX_REQUESTS="800")
    assert (recycled["max_requests"], recycled["max_requests_jitter"]) == (800, 400)
    assert _settings(monkeypatch, GUNICORN_MAX_REQUESTS_JITTER="50")["max_requests_jitter"] == 50


def test_a_setting_that_is_not_a_number_stops_the_start_with_its_name(monkeypatch):
    with pytest.raises(SystemExit, match="WEB_CONCURRENCY must be a whole number"):
        _settings(monkeypatch, WEB_CONCURRENCY="many")


@pytest.fixture(autouse=True)
def _db_transaction() -> Iterator[None]:
    """Overrides the suite's rolled-back transaction: the fork hook works on the app's real engine."""
    yield


def test_a_forked_worker_starts_with_a_pool_of_its_own(monkeypatch, app: Flask):
    settings = _settings(monkeypatch)
    with app.app_context():
        db.engine.connect().close()  # the master's check at start-up leaves a pooled connection behind
        inherited = db.engine.pool
        left_for_the_master = inherited.checkedin()  # earlier tests on this app may have pooled more than one

    settings["post_fork"](SimpleNamespace(app=SimpleNamespace(callable=app)), None)

    with app.app_context():
        assert db.engine.pool is not inherited
        assert left_for_the_master >= 1
        assert inherited.checkedin() == left_for_the_master  # left open for the master, never closed under it


def test_the_master_compiles_every_template_before_it_forks(monkeypatch, app: Flask, unfrozen):
    settings = _settings(monkeypatch)
    names = app.jinja_env.list_templates()
    app.jinja_env.cache.clear()

    settings["when_ready"](SimpleNamespace(app=SimpleNamespace(callable=app)))

    def no_source(*_args):
        raise AssertionError("a template was compiled after the fork")

    monkeypatch.setattr(app.jinja_env.loader, "get_source", no_source)
    assert len(names) > 50 and "marketplace/browse/browse.html" in names
    for name in names:
        assert app.jinja_env.get_template(name).name == name


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the test process keeps collecting everything it holds


def test_the_master_freezes_its_heap_before_every_fork(monkeypatch, app: Flask, unfrozen):
    settings = _settings(monkeypatch)
    settings["when_ready"](SimpleNamespace(app=SimpleNamespace(callable=app)))
    frozen = gc.get_freeze_count()
    assert frozen > 10_000  # the loaded app, out of the workers' collections

    made_since = [[index] for index in range(1_000)]  # what the master makes between forks
    settings["pre_fork"](SimpleNamespace(), None)
    assert gc.get_freeze_count() >= frozen + len(made_since)


def test_the_bench_raw_baseline_gets_no_templates_compiled_but_a_frozen_heap(monkeypatch, unfrozen):
    settings = _settings(monkeypatch)
    settings["when_ready"](SimpleNamespace(app=SimpleNamespace(callable=lambda environ, start_response: [])))
    assert gc.get_freeze_count() > 0


def test_without_preloading_the_master_neither_compiles_nor_freezes(monkeypatch, app: Flask, unfrozen):
    monkeypatch.setenv("GUNICORN_PRELOAD", "0")
    settings = runpy.run_path(CONF)
    app.jinja_env.cache.clear()
    settings["when_ready"](SimpleNamespace(app=SimpleNamespace(callable=app)))
    settings["pre_fork"](SimpleNamespace(), None)
    assert gc.get_freeze_count() == 0 and len(app.jinja_env.cache) == 0
