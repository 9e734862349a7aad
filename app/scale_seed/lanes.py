"""Stages that run at once, each lane in a process of its own (the rows are made in Python, and one process's
lanes would take turns on its interpreter lock). A lane's lines come back to the command through a queue, so
they are printed where the command's own output goes."""

from __future__ import annotations

import importlib
import multiprocessing
import queue as queues
import sys
from collections.abc import Callable, Sequence
from types import ModuleType

from tqdm import tqdm

from app.scale_seed.loader import Clock, SeedError, connect, stage
from app.scale_seed.plan import SeedPlan


def load(
    owner_url: str,
    modules: Sequence[ModuleType],
    plan: SeedPlan,
    clock: Clock,
    password_hash: str,
    row: int = 0,
    report: Callable[[str], object] = tqdm.write,
) -> None:
    """Load these stages one after the other, on one connection."""
    with connect(owner_url) as conn:
        for module in modules:
            counted = getattr(module, "progress_rows", None)
            total = counted(plan) if counted else sum(module.rows(plan).values())
            triggers = getattr(module, "TRIGGERS", None)
            with stage(conn, module.LABEL, total, module.TABLES, triggers, row, report) as current:
                module.load(current, plan, clock, password_hash)


def _lane(
    owner_url: str, names: list[str], plan: SeedPlan, clock: Clock, password_hash: str, row: int, out
) -> None:
    try:
        modules = [importlib.import_module(name) for name in names]
        load(owner_url, modules, plan, clock, password_hash, row, lambda line: out.put(("line", line)))
    except BaseException as error:  # the command reports it; this process only ends
        detail = str(error) if isinstance(error, SeedError) else f"{type(error).__name__}: {error}"
        out.put(("failed", detail))
    else:
        out.put(("done", ""))


def run_lanes(
    owner_url: str, lanes: Sequence[Sequence[ModuleType]], plan: SeedPlan, clock: Clock, password_hash: str
) -> None:
    """Run each lane in its own process; print their lines as they come; raise SeedError if any lane failed."""
    # Forked where the system can (a child starts at once, with the modules already imported); a spawned child
    # imports the app first, which takes seconds on a busy machine. Either way it opens its own connection.
    context = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    out = context.Queue()
    processes = [
        context.Process(
            target=_lane,
            args=(owner_url, [module.__name__ for module in lane], plan, clock, password_hash, row, out),
            daemon=True,
        )
        for row, lane in enumerate(lanes)
    ]
    for process in processes:
        process.start()
    failures: list[str] = []
    running = len(processes)
    while running:
        try:
            kind, text = out.get(timeout=1)
        except queues.Empty:
            if not any(process.is_alive() for process in processes):  # ended without a word (killed)
                failures.append("a loading process ended unexpectedly")
                break
            continue
        if kind == "line":
            tqdm.write(text)
        else:
            running -= 1
            if kind == "failed":
                failures.append(text)
    for process in processes:
        process.join()
    if failures:
        raise SeedError("; ".join(failures))
