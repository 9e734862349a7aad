"""The run's results: bench/results/<date>.json, a Markdown table beside it (also printed), and a PNG chart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).with_name("results")


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
    workers = ", ".join(f"{mb:.0f}" for mb in results["workers_rss_mb"])
    lines += [
        "",
        f"Worker RSS after the run (MB): app {workers}; raw baseline "
        + ", ".join(f"{mb:.0f}" for mb in results["raw_workers_rss_mb"])
        + ".",
    ]
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
