"""The shared test fixture keeps one app context open for the whole test, so flask.g outlives each request
of the test client. In production g is per request; clear what Flask-Login and Flask-WTF cache in it, so a
test that signs in, out, or changes a user sees what a real second request would see."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask, g, request_started


def _forget_request_cache(sender: Flask, **extra: object) -> None:
    g.pop("_login_user", None)
    g.pop("csrf_token", None)


@pytest.fixture(autouse=True)
def _fresh_g_per_request(app: Flask) -> Iterator[None]:
    request_started.connect(_forget_request_cache, app)
    yield
    request_started.disconnect(_forget_request_cache, app)
