"""Queries per request, and the statements the raw baseline replays: each page asked once more in-process.

The in-process app is built from the same environment as the gunicorn workers and sent the same headers and
session cookies, so it runs the same statements, under the same row-level-security scope. The second answer of
each page is the one recorded: caches (the browse counts) are warm then, as they are under load.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from sqlalchemy import event

from app.extensions import db
from models.scoping import current_scope

Statement = tuple[str, Any, tuple[str, str, str, str]]  # SQL, parameters, the tenant scope's four settings


@dataclass
class Recorder:
    statements: list[Statement] = field(default_factory=list)
    on: bool = False

    def __call__(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        if self.on:
            self.statements.append((statement, parameters, current_scope().settings()))


def capture(app: Flask, path: str, headers: dict[str, str]) -> list[Statement]:
    """The statements one warm request for `path` runs; raises unless the page answers 200 both times."""
    recorder = Recorder()
    client = app.test_client(use_cookies=False)  # the Cookie header given is the session
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", recorder)
    try:
        for warm in (False, True):
            recorder.on = warm
            response = client.get(path, headers=headers)
            if response.status_code != 200:
                raise RuntimeError(
                    f"{path}: HTTP {response.status_code} in-process (to {response.location or '-'})"
                )
    finally:
        event.remove(engine, "before_cursor_execute", recorder)
    return recorder.statements
