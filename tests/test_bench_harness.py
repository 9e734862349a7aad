"""`make bench`'s pieces on a tiny database seeded by `flask seed-scale`: sign-in through the real forms, the pages found by SQL, the raw
baseline serving every page, wrk's reporter read back, the results written, and the in-process profile and
app-vs-raw timing (bench/profile.py, bench/inprocess.py) run. No timing is asserted."""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.serving import make_server
from werkzeug.test import Client

from app.extensions import db
from app.scale_seed import HEAVY_CLIENT_EMAIL
from bench import inprocess, raw_app, report, targets, wrk
from bench.capture import capture
from bench.local import Local, local
from bench.pages import CLIENT, deepest_invoices_path, pages, signed_in_browsers
from bench.profile import profile
from models import Contact, Invoice
from models.scoping import cross_tenant
from tests.dbserver import scratch_app
from tests.stripe_server import LocalStripe

# Small, but enough for every page: more invoices than a portal page, a listing of another provider.
TINY = {
    "--tenants": 2,
    "--invoices": 80,
    "--heavy-client-invoices": 60,
    "--listings": 260,
    "--threads": 12,
    "--messages": 120,
    "--heavy-seller-threads": 12,
    "--long-thread-messages": 60,
}
BENCH_LINE = (
    "BENCH requests=4120 duration_us=8003112 non2xx=3 socket_errors=1 "
    "p50_us=1830 p95_us=4210 p99_us=9876 max_us=20001"
)


@pytest.fixture(scope="module")
def bench_app(pg_server_url: str, localstripe: LocalStripe) -> Iterator[Flask]:
    with scratch_app(pg_server_url, f"breeder_bench_harness_{os.getpid()}", localstripe.app_config()) as app:
        result = app.test_cli_runner().invoke(
            args=["seed-scale", *(str(part) for option in TINY.items() for part in option)]
        )
        assert result.exit_code == 0, result.output
        assert targets.seeded(app.config["MIGRATION_DATABASE_URI"])
        yield app


def shown_invoices(app: Flask) -> int:
    """The heavy client's invoices by the portal's own rule (Invoice.shown_to_party; deleted rows hidden)."""
    with app.app_context(), cross_tenant("a test counting the heavy client's invoices"):
        try:
            party = db.session.scalar(select(Contact.party_id).where(Contact.email == HEAVY_CLIENT_EMAIL))
            return db.session.scalar(
                select(func.count()).select_from(Invoice).where(Invoice.shown_to_party(party))
            )
        finally:
            db.session.remove()


@pytest.fixture(autouse=True)
def _db_transaction() -> Iterator[None]:
    """Overrides the suite's rolled-back transaction: the bench reads committed rows on its own database."""
    yield


@pytest.fixture(scope="module")
def served(bench_app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, bench_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="module")
def plan(bench_app: Flask, served: str) -> tuple[dict[str, list], list]:
    found = targets.find(bench_app.config["MIGRATION_DATABASE_URI"])
    browsers = signed_in_browsers(served, found.tenant_slug)
    deepest = deepest_invoices_path(browsers[CLIENT], f"/portal/{found.tenant_slug}/invoices", found.invoices)
    chosen = pages(found, deepest)
    return {page.name: capture(bench_app, page.path, browsers[page.who].headers()) for page in chosen}, chosen


@pytest.fixture(scope="module")
def in_process(bench_app: Flask) -> Iterator[Local]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BENCH_DATABASE_URL", bench_app.config["MIGRATION_DATABASE_URI"])
        yield local()


def test_targets_are_found_by_sql_in_the_seeded_data(bench_app: Flask):
    found = targets.find(bench_app.config["MIGRATION_DATABASE_URI"])

    assert found.thread_messages == TINY["--long-thread-messages"]
    # Those the portal lists: seed-scale gives the heavy client a few drafts (and deletes one in 200) besides.
    assert 0 < found.invoices <= TINY["--heavy-client-invoices"]
    assert found.invoices == shown_invoices(bench_app)
    assert found.deep_rows >= 1


def test_signing_in_through_the_forms_opens_the_private_pages(plan):
    statements, chosen = plan

    assert [page.name for page in chosen] == [
        "search_broad", "search_narrow", "browse_first", "browse_deep", "listing",
        "inbox", "thread", "invoices_first", "invoices_deepest", "invoice",
    ]  # fmt: skip
    # Each page answered 200 in-process with the browser's cookies (capture raises otherwise) and ran SQL.
    assert all(statements[page.name] for page in chosen)
    assert (
        next(page for page in chosen if page.name == "invoices_deepest").path
        != next(page for page in chosen if page.name == "invoices_first").path
    )


def test_the_raw_baseline_serves_every_page_with_its_rows(bench_app: Flask, plan):
    statements, chosen = plan
    client = Client(raw_app.make_app(statements, bench_app.config["SQLALCHEMY_DATABASE_URI"]))

    for page in chosen:
        answer = client.get(f"/{page.name}")
        assert answer.status_code == 200, page.name
        assert "<td>" in answer.get_data(as_text=True), page.name
    assert client.get("/no-such-page").status_code == 404


def test_the_raw_baseline_is_held_to_row_level_security(bench_app: Flask, plan):
    statements, _ = plan
    # The invoice page's statements without their tenant scope: the application's role sees no invoice.
    unscoped = [(sql, parameters, ("", "", "", "")) for sql, parameters, _scope in statements["invoice"]]
    client = Client(raw_app.make_app({"invoice": unscoped}, bench_app.config["SQLALCHEMY_DATABASE_URI"]))

    assert "INV-" not in client.get("/invoice").get_data(as_text=True)
    scoped = Client(raw_app.make_app(statements, bench_app.config["SQLALCHEMY_DATABASE_URI"]))
    assert "INV-" in scoped.get("/invoice").get_data(as_text=True)


def test_the_wrk_report_line_is_read_back():
    load = wrk.parse("Running 8s test @ http://x/\n" + BENCH_LINE + "\n")

    assert load.requests == 4120
    assert load.req_s == pytest.approx(514.8, abs=0.1)
    assert (load.p50_ms, load.p95_ms, load.p99_ms) == (1.83, 4.21, 9.876)
    assert (load.non_2xx, load.socket_errors) == (3, 1)
    with pytest.raises(ValueError, match="no BENCH line"):
        wrk.parse("unable to connect to 127.0.0.1:1 Connection refused")


@pytest.mark.skipif(not shutil.which(wrk.WRK), reason="wrk is not installed")
def test_wrk_counts_answers_outside_2xx(bench_app: Flask, plan):
    statements, _ = plan
    server = make_server(
        "127.0.0.1",
        0,
        raw_app.make_app(statements, bench_app.config["SQLALCHEMY_DATABASE_URI"]),
        threaded=True,
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        served = wrk.run(f"{base}/listing", {}, 1)
        missing = wrk.run(f"{base}/no-such-page", {}, 1)
    finally:
        server.shutdown()

    assert served.requests > 0 and served.non_2xx == 0
    assert missing.requests > 0 and missing.non_2xx == missing.requests


def test_results_are_written_as_json_markdown_a_chart_and_into_the_doc(tmp_path):
    load = wrk.parse(BENCH_LINE).as_dict()
    results = {
        "date": "2026-11-27",
        "started_at": "2026-11-27T17:00:00+00:00",
        "machine": {"cpu": "AMD EPYC", "cores": 2, "memory_gb": 23.5, "postgresql": "15.20", "python": "3.11.7",
                    "load_average_1min": {"start": 1.5, "end": 2.0}},
        "load": {"connections": 8, "threads": 2, "seconds": 8.0, "warmup_seconds": 2.0},
        "workers": 2,
        "data": {"database": "scaleseed_full", "listings": 1_000_000, "messages": 10_000_000,
                 "invoices_of_heavy_client": 10_000, "messages_in_thread": 5_000, "deep_rows": 10_000},
        "pages": [
            {"name": "listing", "label": "listing page", "path": "/listings/1", "queries": 3,
             "app": load, "raw": {**load, "req_s": 1029.6}, "ratio": report.ratio(514.8, 1029.6)},
        ],
        "workers_rss_mb": [101.5, 99.0],
        "raw_workers_rss_mb": [40.0],
    }  # fmt: skip
    doc = tmp_path / "performance.md"
    doc.write_text(
        "# Performance\n<!-- bench:latest BEGIN: see bench/results/<date>.md -->\nold table\n<!-- bench:latest END -->\n"
        "![chart](../bench/results/2026-01-01.png)\n<!-- bench:machine BEGIN -->\n<!-- bench:machine END -->\n"
        "## Topics\n"
    )

    paths = report.write(results, tmp_path)
    report.update_doc(results, paths["chart"], doc)

    assert json.loads(paths["json"].read_text())["pages"][0]["ratio"] == 0.5
    table = paths["markdown"].read_text()
    assert "| listing page | 3 | 515 | 1,030 | 0.50× | 1.8 / 4.2 / 9.9 |" in table
    assert "app 102, 99" in table
    assert paths["chart"].read_bytes().startswith(b"\x89PNG")
    updated = doc.read_text()
    assert table in updated and "old table" not in updated
    assert "(../bench/results/2026-11-27.png)" in updated
    assert "database `scaleseed_full`, about 1,000,000 listings" in updated
    assert updated.endswith("## Topics\n")


def test_in_process_the_production_app_is_signed_in_without_touching_this_process_environment(in_process):
    assert in_process.app.config["PRODUCTION"]
    assert os.environ.get("APP_ENV") != "production"
    assert "session=" in in_process.headers["invoice"]["Cookie"]
    assert "Cookie" not in in_process.headers["listing"]
    with pytest.raises(SystemExit, match="no page 'nope'"):
        in_process.page("nope")


def test_a_signed_in_page_is_profiled_in_process(in_process, tmp_path, capsys):
    stats = profile(in_process, "inbox", 3, tmp_path)

    assert (tmp_path / "inbox.prof").stat().st_size > 0
    assert any(function == "dispatch_request" for _file, _line, function in stats.stats)  # type: ignore[attr-defined]
    assert "ms per request (profiled) over 3" in capsys.readouterr().out


def test_app_and_raw_are_timed_side_by_side_in_process(in_process, capsys):
    timings = inprocess.compare(in_process, ["listing", "invoice"], 2, 2)

    assert [timing.name for timing in timings] == ["listing", "invoice"]
    assert all(len(timing.ratios) == 2 and timing.app_cpu_ms > 0 for timing in timings)
    assert capsys.readouterr().out.count("app/raw") == 2


def test_bench_pages_chooses_some_pages_in_the_bench_order_and_refuses_an_unknown_one(monkeypatch):
    from bench.pages import Page
    from bench.run import chosen_pages

    every_page = [
        Page("search_broad", "broad", "/a"),
        Page("browse_first", "browse", "/b"),
        Page("inbox", "i", "/c"),
    ]
    monkeypatch.delenv("BENCH_PAGES", raising=False)
    assert chosen_pages(every_page) == every_page
    monkeypatch.setenv("BENCH_PAGES", " inbox, search_broad ")
    assert [page.name for page in chosen_pages(every_page)] == ["search_broad", "inbox"]
    monkeypatch.setenv("BENCH_PAGES", "inbox,browse_frist")
    with pytest.raises(SystemExit, match="browse_frist"):
        chosen_pages(every_page)
