"""Times as the reader's clock shows them: in the signed-in person's IANA zone, with the zone's abbreviation, and in
UTC, saying "UTC", while we do not know their zone.

The database stores moments as UTC without a zone (the spec's TIMESTAMP(3)). Calendar dates (an invoice's due
date) are not moments and keep the `date` filter. A zone comes from the browser at sign-in (the sign-in forms
carry a hidden `time_zone` field that static/js/time-zone.js fills in) and is kept on the first sign-in that
sends a valid one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, available_timezones

from flask import request
from flask_login import current_user

if TYPE_CHECKING:
    from models import Contact, MarketplaceUser

DEFAULT_PATTERN = "%b %-d, %H:%M"
BROWSER_ZONE_FIELD = "time_zone"


@cache
def known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def valid_zone(name: object) -> str | None:
    """The name when it is a zone of the IANA database; None for anything else (a typo, 'Local', hostile text)."""
    return name if isinstance(name, str) and name in known_zones() else None


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def viewer_zone() -> ZoneInfo:
    # The proxy resolved once: a page formats a time per row.
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    if user is not None and user.is_authenticated:
        name = valid_zone(getattr(user.record, "time_zone", None))
        if name:
            return _zone(name)
    return _zone("UTC")


def _on_viewers_clock(value: datetime, zone: ZoneInfo | None = None) -> datetime:
    """Stored moments are naive UTC."""
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(zone or viewer_zone())


def format_local_time(
    value: datetime | None, pattern: str = DEFAULT_PATTERN, zone: ZoneInfo | None = None
) -> str:
    """'Nov 27, 02:52 CST' for a reader in Chicago; 'Nov 27, 08:52 UTC' while their zone is unknown. A page of many
    times passes `zone` (viewer_zone(), resolved once) rather than have each one look it up."""
    if value is None:
        return ""
    local = _on_viewers_clock(value, zone)
    return f"{local.strftime(pattern)} {local.tzname()}"


def format_local_date(value: datetime | None, pattern: str = "%b %-d, %Y") -> str:
    """The calendar day a moment fell on for the reader (a payment at 02:00 UTC was the evening before in
    Chicago); no abbreviation, as a day needs none."""
    return _on_viewers_clock(value).strftime(pattern) if value else ""


def remember_browser_zone(record: Contact | MarketplaceUser) -> bool:
    """At sign-in: keep the zone the browser sent if none is stored yet. True when the record changed."""
    zone = valid_zone(request.form.get(BROWSER_ZONE_FIELD))
    if record.time_zone is None and zone is not None:
        record.time_zone = zone
        return True
    return False
