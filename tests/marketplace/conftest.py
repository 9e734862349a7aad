"""Marketplace test fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from marketplace.browse.facet_cache import EXTENSION, make_counts_cache


@pytest.fixture(autouse=True)
def _fresh_counts_cache(app: Flask) -> Iterator[None]:
    """The app lives for the whole session, but each test's rows are rolled back: start with no cached counts."""
    app.extensions[EXTENSION] = make_counts_cache(app.config)
    yield
