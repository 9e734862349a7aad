"""A short-lived cache, in each worker, of the public pages served to signed-out visitors (app/public_pages.py
decides which responses qualify; this module only keeps them).

A signed-out visitor's browse, listing or provider page carries nothing of theirs, and every browser may already
keep it for PUBLIC_MAX_AGE seconds; so a worker may answer the same address again from memory for
PUBLIC_PAGE_CACHE_SECONDS (10 by default; 0 turns it off, as the tests do). A change to a listing reaches
signed-out visitors within that time; signed-in people, whose pages are never cached, see it at once.

The key is the address and the htmx headers that pick the full page or its results block; a request with any
session data (a flashed message, a CSRF token, a sign-in) is never answered from here, nor stored.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from flask import Flask, Response, current_app, g, request

EXTENSION = "public_page_cache"
FROM_CACHE = "page_from_cache"
MAX_ENTRIES = 512
HTMX_HEADERS = ("HX-Request", "HX-Boosted", "HX-History-Restore-Request")

Key = tuple[str | None, ...]
Entry = tuple[float, bytes, list[tuple[str, str]]]


class PageCache:
    """Least-recently-used pages, each kept `seconds`; thread-safe for threaded workers."""

    def __init__(self, seconds: float, max_entries: int = MAX_ENTRIES) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self._entries: OrderedDict[Key, Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Key) -> tuple[bytes, list[tuple[str, str]]] | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= time.monotonic():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry[1], entry[2]

    def put(self, key: Key, body: bytes, headers: list[tuple[str, str]]) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic() + self.seconds, body, headers)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _cache() -> PageCache | None:
    return current_app.extensions.get(EXTENSION)


def _key() -> Key:
    return (request.full_path, *(request.headers.get(name) for name in HTMX_HEADERS))


def lookup() -> Response | None:
    """The stored answer to this address, marked as such for keep() and public_pages."""
    cache = _cache()
    found = cache.get(_key()) if cache is not None else None
    if found is None:
        return None
    setattr(g, FROM_CACHE, True)
    body, headers = found
    return Response(body, headers=headers)


def answered_from_cache() -> bool:
    return bool(g.get(FROM_CACHE))


def keep(response: Response) -> None:
    """Store a page public_pages has just marked cacheable (before any 304 empties its body)."""
    cache = _cache()
    if cache is not None and not response.is_streamed and not answered_from_cache():
        cache.put(_key(), response.get_data(), list(response.headers.items()))


def init_app(app: Flask) -> None:
    seconds = app.config.get("PUBLIC_PAGE_CACHE_SECONDS", 0)
    if seconds > 0:
        app.extensions[EXTENSION] = PageCache(seconds)
