"""Where a `next` parameter may send someone after signing in: a path on this site, nothing else."""

from __future__ import annotations

from urllib.parse import urlsplit

MAX_NEXT_LENGTH = 2000


def local_path_or_none(target: str | None) -> str | None:
    """`target` when it is a plain path on this site; None for anything a browser could read as another site
    (`//host`, `/\\host`, `https:host`, a tab or newline that browsers drop) or that cannot go in a header."""
    if not target or len(target) > MAX_NEXT_LENGTH or not target.startswith("/"):
        return None
    if (
        target.startswith("//")
        or "\\" in target
        or any(ord(char) < 32 or ord(char) == 127 for char in target)
    ):
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target
