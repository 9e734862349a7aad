"""Where a `next` parameter may send someone after signing in: a path on this site, nothing else."""

from __future__ import annotations

from urllib.parse import urlsplit

MAX_NEXT_LENGTH = 2000


def safe_next(target: str | None, inside: str = "/") -> str | None:
    """`target` when it is a plain path on this site under `inside`; None for anything a browser could read as
    another site (`//host`, `/\\host`, `https:host`, a tab or newline that browsers drop) or that cannot go in a
    header. The portal passes its own prefix, so a client is never sent out of their breeder's portal."""
    if not target or len(target) > MAX_NEXT_LENGTH or not target.startswith("/"):
        return None
    if (
        target.startswith("//")
        or "\\" in target
        or any(ord(char) < 32 or ord(char) == 127 for char in target)
    ):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(inside):
        return None
    return target
