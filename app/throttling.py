"""Race-proof rate limits shared by both faces: the failed sign-in limits and the new-conversation limit.

An allowance is *claimed* before the work it guards, with one atomic increment in the limiter's storage (memory,
or Redis shared by every worker), and *refunded* when the work turns out not to count (a correct password, a
conversation that already existed). Checking first and counting afterwards let 25 parallel guesses all through
the check before any was counted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g, request
from limits import RateLimitItem, parse

from app.extensions import limiter
from app.templating import format_duration

EMAIL_KEY_MAX = 254
FAILED_ATTEMPTS = "failed-attempts"
# Every limit here counts a request that changes something; tests/test_throttling.py holds each one to
# unsafe methods, so these never meet one.
UNLIMITED_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
V = TypeVar("V", bound=Callable[..., Any])


@limiter.request_filter
def _reads_are_unlimited() -> bool:
    """A page view meets no limit: skip the limiter's per-request work of finding the endpoint's limits (about
    a thirtieth of a browse page's CPU). The limits counted by hand (claim, refund) are unaffected."""
    return request.method in UNLIMITED_METHODS


def form_email() -> str:
    """The e-mail as typed into the form, normalised, so case and spaces cannot open a fresh bucket."""
    return (request.form.get("email") or "").strip().lower()[:EMAIL_KEY_MAX]


def claim(rate: RateLimitItem | str, namespace: str, key: str) -> bool:
    """Take one from the allowance, atomically; False (and nothing taken) when none is left."""
    if not limiter.enabled:
        return True
    item = parse(rate) if isinstance(rate, str) else rate
    if limiter.limiter.hit(item, namespace, key):
        return True
    limiter.limiter.hit(item, namespace, key, cost=-1)  # the increment that found the allowance spent
    return False


def refund(rate: RateLimitItem | str, namespace: str, key: str) -> None:
    """Give back one claimed allowance: the work it guarded did not count."""
    if not limiter.enabled:
        return
    item = parse(rate) if isinstance(rate, str) else rate
    limiter.limiter.hit(item, namespace, key, cost=-1)


@dataclass(frozen=True)
class Allowance:
    """What is left of a limit for one key, to show before it bites: '1 of 3 left, resets at 14:32'."""

    limit: int
    remaining: int
    resets_at: datetime
    window: timedelta

    @property
    def per_window(self) -> str:
        """'a day', 'an hour', 'every 10 minutes'."""
        words = format_duration(self.window)
        if words.startswith("1 "):
            unit = words[2:]
            return f"{'an' if unit[0] in 'aeiou' or unit == 'hour' else 'a'} {unit}"
        return f"every {words}"


def allowance(rate: RateLimitItem | str, namespace: str, key: str) -> Allowance | None:
    """The key's allowance without taking any; None when limits are off."""
    if not limiter.enabled:
        return None
    item = parse(rate) if isinstance(rate, str) else rate
    reset_at, remaining = limiter.limiter.get_window_stats(item, namespace, key)
    return Allowance(
        limit=item.amount,
        remaining=max(remaining, 0),
        resets_at=datetime.fromtimestamp(reset_at, UTC),
        window=timedelta(seconds=item.get_expiry()),
    )


def mark_failed_attempt() -> None:
    g.sign_in_attempt_failed = True


def limit_failed_attempts(limit: str, key_func: Callable[[], str]) -> Callable[[V], V]:
    """A limit on a view's POSTs that counts only the attempts the view marks with mark_failed_attempt().

    Each POST claims an attempt before the view runs (429 when none is left), and is refunded when the view did
    not mark it failed, so signing in correctly never uses up an account's allowance."""
    rate = parse(limit)
    namespace = f"{FAILED_ATTEMPTS}:{limit}"

    def decorate(view: V) -> V:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if request.method != "POST":
                return view(*args, **kwargs)
            key = key_func()
            if not claim(rate, namespace, key):
                abort(429)
            response = view(*args, **kwargs)
            if not g.get("sign_in_attempt_failed"):
                refund(rate, namespace, key)
            return response

        return wrapped  # type: ignore[return-value]

    return decorate
