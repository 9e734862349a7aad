"""Where a page of the portal's lists starts: a keyset cursor, signed so that only this app can have made it.

A cursor names one row of a newest-first list by its sort key (a timestamp and the id) and says where that row
stood (1 for the newest), so the next page can say "Showing 41–60" without counting the rows before it: that
count grows with the depth, which is what keyset pages are for.

It is signed (itsdangerous, the app's SECRET_KEY) with a salt naming the list, its filter, and the client's
tenant and party, so a cursor cannot be made up, edited, or carried to another list, filter or client. Such a
cursor, or one signed before a key rotation, is refused, and the list starts again from the newest and says so.
The signature vouches for the position the cursor carries; it is not what keeps rows private: every query still
keeps to the contact's own rows in SQL, under row-level security, whatever cursor it is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from models import Contact
from models.types import INT4_MAX

EPOCH = datetime(1970, 1, 1)
MICROSECOND = timedelta(microseconds=1)
MAX_TOKEN_LENGTH = 200  # the longest we issue is about 80 characters


class CursorRefused(ValueError):
    """Not a cursor this app signed for this list, filter and client."""


@dataclass(frozen=True)
class Cursor:
    at: datetime | None  # the row's timestamp; None where the list sorts a missing one last
    row_id: int
    position: int


@dataclass(frozen=True)
class CursorScope:
    """The one list a cursor belongs to: which list, which filter, whose."""

    list_name: str
    filter_name: str
    tenant_id: int
    party_id: int | None

    @classmethod
    def of(cls, list_name: str, filter_name: str, contact: Contact) -> CursorScope:
        return cls(list_name, filter_name, contact.tenant_id, contact.party_id)

    def _serializer(self) -> URLSafeSerializer:
        salt = (
            f"breeder-portal:list-cursor:{self.list_name}:{self.filter_name}:{self.tenant_id}:{self.party_id}"
        )
        return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=salt)

    def sign(self, cursor: Cursor) -> str:
        at = None if cursor.at is None else (cursor.at - EPOCH) // MICROSECOND
        return self._serializer().dumps([at, cursor.row_id, cursor.position])

    def read(self, token: str) -> Cursor:
        if len(token) > MAX_TOKEN_LENGTH:
            raise CursorRefused("too long")
        try:
            payload = self._serializer().loads(token)
        except BadSignature as exc:
            raise CursorRefused("bad signature") from exc
        # Signed by us, so well formed; checked all the same, so a leaked secret cannot buy a 500.
        match payload:
            case [at, row_id, position] if (
                (at is None or type(at) is int) and _is_positive_int4(row_id) and _is_positive_int4(position)
            ):
                pass
            case _:
                raise CursorRefused("malformed")
        try:
            when = None if at is None else EPOCH + at * MICROSECOND
        except OverflowError as exc:
            raise CursorRefused("timestamp out of range") from exc
        return Cursor(when, row_id, position)


def _is_positive_int4(value: object) -> bool:
    return type(value) is int and 0 < value <= INT4_MAX
