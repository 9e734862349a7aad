"""A short-lived cache of the browser's category counts, keyed by the filters that shape them, never the page.

Counting 1,000,000 listings takes ~100 ms even from an index, yet the counts for one set of filters are the same
on every page of its results and change only when a listing, or a provider's standing, changes. So:
- any ORM write to a ServiceListing (create, edit, publish, unpublish, delete) or to a MarketplaceUser's status
  bumps a generation number, at flush and again after commit (a reader that counted between the two cannot
  keep its result), and entries of an older generation are never read: this app's own writes show at once;
- every entry also expires after LISTING_COUNTS_TTL_SECONDS (30 by default), which bounds how long a change made
  outside the ORM (an administrator's SQL) or, without Redis, by another worker process can go unseen.
With REDIS_URL the entries and the generation live in Redis, shared by every worker; otherwise in a small dict
in this process. A Redis outage only costs the cache: the counts are then computed for every request.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Protocol

import redis
from flask import Flask, current_app, has_app_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from app.replicas import reading_from_replica
from models import MarketplaceUser, ServiceListing

log = logging.getLogger(__name__)

EXTENSION = "listing_counts"
PENDING_INVALIDATION = "listing_counts_changed"
MAX_LOCAL_ENTRIES = 512
REDIS_PREFIX = "listing-counts"

Counts = dict[str, int]


class CountsCache(Protocol):
    def generation(self) -> int | None:
        """The current generation, or None when the cache cannot be reached (then nothing is cached)."""

    def get(self, generation: int, key: str) -> Counts | None: ...

    def read(self, key: str) -> tuple[int | None, Counts | None]:
        """The current generation and key's counts if they are of it, in one round trip."""

    def put(self, generation: int, key: str, counts: Counts) -> None: ...

    def invalidate(self) -> None: ...


class LocalCountsCache:
    """Bounded, least-recently-used entries in this process."""

    def __init__(
        self,
        ttl_seconds: float,
        max_entries: int = MAX_LOCAL_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_seconds
        self._max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._generation = 0
        self._entries: OrderedDict[str, tuple[float, Counts]] = OrderedDict()

    def generation(self) -> int:
        return self._generation

    def get(self, generation: int, key: str) -> Counts | None:
        with self._lock:
            entry = self._entries.get(key) if generation == self._generation else None
            if entry is None:
                return None
            expires_at, counts = entry
            if expires_at <= self._clock():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return dict(counts)

    def read(self, key: str) -> tuple[int, Counts | None]:
        generation = self._generation
        return generation, self.get(generation, key)

    def put(self, generation: int, key: str, counts: Counts) -> None:
        with self._lock:
            if generation != self._generation:
                return  # a listing changed while these were counted
            self._entries[key] = (self._clock() + self._ttl, dict(counts))
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)

    def invalidate(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()


class RedisCountsCache:
    """Entries shared by every worker. An entry holds the generation it was counted in, and is read in the same
    round trip as the current generation (one MGET), so a bump makes every older entry unreadable."""

    # One hash tag, so the generation and the entries share a slot should Redis be a cluster.
    _GENERATION = f"{{{REDIS_PREFIX}}}:generation"

    def __init__(self, client: redis.Redis, ttl_seconds: int) -> None:
        self._client = client
        self._ttl = max(1, int(ttl_seconds))

    @staticmethod
    def _entry(key: str) -> str:
        return f"{{{REDIS_PREFIX}}}:entry:{key}"

    def generation(self) -> int | None:
        try:
            return int(self._client.get(self._GENERATION) or 0)
        except redis.RedisError:
            log.warning("listing counts cache unreachable; counting without it", exc_info=True)
            return None

    def get(self, generation: int, key: str) -> Counts | None:
        current, counts = self.read(key)
        return counts if current == generation else None

    def read(self, key: str) -> tuple[int | None, Counts | None]:
        try:
            raw_generation, raw_entry = self._client.mget(self._GENERATION, self._entry(key))
        except redis.RedisError:
            log.warning("listing counts cache unreachable; counting without it", exc_info=True)
            return None, None
        generation = int(raw_generation or 0)
        entry = json.loads(raw_entry) if raw_entry else None
        if entry is None or entry.get("generation") != generation:
            return generation, None
        return generation, entry["counts"]

    def put(self, generation: int, key: str, counts: Counts) -> None:
        entry = json.dumps({"generation": generation, "counts": counts})
        try:
            self._client.set(self._entry(key), entry, ex=self._ttl)
        except redis.RedisError:
            log.warning("could not store listing counts", exc_info=True)

    def invalidate(self) -> None:
        try:
            self._client.incr(self._GENERATION)
        except redis.RedisError:
            log.warning(
                "could not invalidate listing counts; they may lag for %s s", self._ttl, exc_info=True
            )


def make_counts_cache(config: dict) -> CountsCache | None:
    ttl = config.get("LISTING_COUNTS_TTL_SECONDS", 30)
    if not ttl or ttl <= 0:
        return None
    if config.get("REDIS_URL"):
        return RedisCountsCache(redis.Redis.from_url(config["REDIS_URL"], socket_timeout=0.2), ttl)
    return LocalCountsCache(ttl)


def init_app(app: Flask) -> None:
    cache = make_counts_cache(app.config)
    if cache is not None:
        app.extensions[EXTENSION] = cache


@dataclass
class CountsSlot:
    """The cached counts for one key, or the place to put them once counted."""

    key: str
    cache: CountsCache | None = None
    generation: int | None = None
    counts: Counts | None = None

    def fill(self, counts: Counts) -> Counts:
        if self.cache is not None and self.generation is not None:
            self.cache.put(self.generation, self.key, counts)
        self.counts = counts
        return counts


def counts_slot(key_parts: Hashable) -> CountsSlot:
    """The slot for key_parts (a JSON-able tuple); its counts are None unless cached and still current."""
    # Counts read from a lagging replica are kept apart, so a writer reading from the primary never gets them.
    source = "replica" if reading_from_replica() else "primary"
    key = hashlib.sha256(json.dumps([source, key_parts]).encode()).hexdigest()
    cache: CountsCache | None = current_app.extensions.get(EXTENSION)
    if cache is None:
        return CountsSlot(key)
    generation, counts = cache.read(key)
    if generation is None:
        return CountsSlot(key)
    return CountsSlot(key, cache, generation, counts)


def invalidate_counts() -> None:
    cache: CountsCache | None = current_app.extensions.get(EXTENSION) if has_app_context() else None
    if cache is not None:
        cache.invalidate()


def _changes_counts(session: Session) -> bool:
    if any(isinstance(record, ServiceListing) for record in session.new):
        return True
    if any(isinstance(record, ServiceListing | MarketplaceUser) for record in session.deleted):
        return True
    for record in session.dirty:
        if isinstance(record, ServiceListing) and session.is_modified(record):
            return True
        if isinstance(record, MarketplaceUser) and inspect(record).attrs.status.history.has_changes():
            return True
    return False


def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    if _changes_counts(session):
        session.info[PENDING_INVALIDATION] = True
        invalidate_counts()


def _after_bulk_write(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    if mapper is not None and mapper.class_ in (ServiceListing, MarketplaceUser):
        state.session.info[PENDING_INVALIDATION] = True
        invalidate_counts()


def _after_transaction(session: Session) -> None:
    if session.info.pop(PENDING_INVALIDATION, False):
        invalidate_counts()


def install_invalidation(session_class: type[Session] | Session = Session) -> None:
    """Listen for listing and provider writes on a Session class, as models.scoping.install_scoping does."""
    for name, listener in (
        ("after_flush", _after_flush),
        ("do_orm_execute", _after_bulk_write),
        ("after_commit", _after_transaction),
        ("after_rollback", _after_transaction),
    ):
        if not event.contains(session_class, name, listener):
            event.listen(session_class, name, listener)
