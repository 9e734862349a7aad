"""The account security pages of both faces, written once: "Recent sign-ins" (active sessions, sign out
elsewhere, recent security events), two-factor enrolment and turning it off, and the sign-in step that asks for
a code. Each face registers them on its blueprint with a Face that says how it differs (URLs, layout, who is
signed in, how an account is found)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import url_for

from app.sessions import IdentityKind
from models import Contact, MarketplaceUser

Account = Contact | MarketplaceUser


@dataclass(frozen=True)
class Face:
    kind: IdentityKind
    blueprint: str
    layout: str
    site_name: Callable[[], str]
    url_values: Callable[[], dict[str, Any]]
    template_context: Callable[[], dict[str, Any]]
    signed_in_account: Callable[[], Account]
    # The account a pending sign-in names, if it may still sign in here (None otherwise).
    find_account: Callable[[int], Account | None]
    password_hash: Callable[[Account], str | None]

    def url(self, endpoint: str, **values: Any) -> str:
        return url_for(f"{self.blueprint}.{endpoint}", **self.url_values(), **values)

    def context(self, page_name: str) -> dict[str, Any]:
        return {
            "layout": self.layout,
            "title": f"{page_name} · {self.site_name()}",
            "face": self,
            **self.template_context(),
        }
