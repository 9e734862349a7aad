"""The run's results: bench/results/<date>.json, a Markdown table beside it (also printed), and a PNG chart."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).with_name("results")
DOC = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
CHART_LINK = re.compile(r"\(\.\./bench/results/[0-9-]+\.png\)")


def ratio(app_req_s: float, raw_req_s: float) -> float | None:
    return round(app_req_s / raw_req_s, 2) if raw_req_s else None


def markdown(results: dict[str, Any]) -> str:
    lines = [
        "| page | queries | app req/s | raw req/s | app ÷ raw | app p50 / p95 / p99 (ms) | raw p50 / p95 / p99 (ms) |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for page in results["pages"]:
        app, raw = page["app"], page["raw"]
        shown_ratio = "–" if page["ratio"] is None else f"{page['ratio']:.2f}×"
        lines.append(
            f"| {page['label']} | {page['queries']} | {app['req_s']:,.0f} | {raw['req_s']:,.0f} | {shown_ratio} "
            f"| {app['p50_ms']:.1f} / {app['p95_ms']:.1f} / {app['p99_ms']:.1f} "
            f"| {raw['p50_ms']:.1f} / {raw['p95_ms']:.1f} / {raw['p99_ms']:.1f} |"
        )
    app_rss = ", ".join(f"{mb:.0f}" for mb in results["workers_rss_mb"])
    raw_rss = ", ".join(f"{mb:.0f}" for mb in results["raw_workers_rss_mb"])
    lines += ["", f"Worker RSS after the run (MB): app {app_rss}; raw baseline {raw_rss}."]
    if load := results.get("machine", {}).get("load_average_1min"):
        lines.append(f"Machine load (1-minute average) at the start and end: {load['start']}, {load['end']}.")
    return "\n".join(lines) + "\n"


def chart(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pages = results["pages"]
    labels = [page["name"] for page in pages]
    fig, ax = plt.subplots(figsize=(12, 5.5))
    width = 0.13
    series = [
        (side, pct, shade)
        for side, colours in (
            ("app", ("#9ecae1", "#4292c6", "#08519c")),
            ("raw", ("#fdae6b", "#f16913", "#a63603")),
        )
        for pct, shade in zip(("p50", "p95", "p99"), colours, strict=True)
    ]
    for index, (side, pct, shade) in enumerate(series):
        offsets = [position + (index - 2.5) * width for position in range(len(pages))]
        ax.bar(
            offsets, [page[side][f"{pct}_ms"] for page in pages], width, label=f"{side} {pct}", color=shade
        )
    ax.set_xticks(range(len(pages)), labels, rotation=30, ha="right")
    ax.set_ylabel("latency (ms), 8 connections")
    ax.set_title(f"Latency per page, app vs raw baseline ({results['date']})")
    ax.legend(ncol=2, fontsize="small")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write(results: dict[str, Any], directory: Path = RESULTS_DIR) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    stem = directory / results["date"]
    paths = {
        "json": stem.with_suffix(".json"),
        "markdown": stem.with_suffix(".md"),
        "chart": stem.with_suffix(".png"),
    }
    paths["json"].write_text(json.dumps(results, indent=2) + "\n")
    paths["markdown"].write_text(markdown(results))
    chart(results, paths["chart"])
    return paths


def machine_text(results: dict[str, Any]) -> str:
    machine, load, data = results["machine"], results["load"], results["data"]
    return (
        f"- {machine['cores']} cores ({machine['cpu']}), {machine['memory_gb']} GB of memory; PostgreSQL "
        f"{machine['postgresql']}, Python {machine['python']}.\n"
        f"- Load average (1 minute) at the start and end of the run: {machine['load_average_1min']['start']}, "
        f"{machine['load_average_1min']['end']}.\n"
        f"- {results['workers']} gunicorn sync workers for the app and as many for the raw baseline; wrk "
        f"{load['connections']} connections on {load['threads']} threads, {load['seconds']:g} s a page after "
        f"{load['warmup_seconds']:g} s of warm-up.\n"
        f"- Data: database `{data['database']}`, about {data['listings']:,} listings and {data['messages']:,} "
        f"messages; the heavy client has {data['invoices_of_heavy_client']:,} invoices, the long thread "
        f"{data['messages_in_thread']:,} messages; the deep browse page starts {data['deep_rows']:,} rows in.\n"
    )


def _between(text: str, name: str, body: str) -> str:
    begin = re.compile(rf"<!-- bench:{name} BEGIN.*?-->\n")
    end = f"<!-- bench:{name} END -->"
    start = begin.search(text)
    if start is None or end not in text:
        return text
    return text[: start.end()] + body + text[text.index(end) :]


def update_doc(results: dict[str, Any], chart_path: Path, doc: Path = DOC) -> None:
    """docs/performance.md's latest table, machine and chart, from this run (between its bench: markers)."""
    text = doc.read_text()
    text = _between(text, "latest", f"Measured {results['started_at']}.\n\n" + markdown(results))
    text = _between(text, "machine", machine_text(results))
    text = CHART_LINK.sub(f"(../bench/results/{chart_path.name})", text)
    doc.write_text(text)
