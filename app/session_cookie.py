"""The signed session cookie, re-signed for its new expiry at most once a minute instead of on every request.

The session is permanent (its cookie lasts PERMANENT_SESSION_LIFETIME, the idle limit, after it was written), so
Flask signs and sends it again on every response to move that expiry along. Signing is an HMAC and a
serialisation per request, for a cookie whose content has not changed. Here an unchanged cookie is re-sent only
once it is a minute old, so it may expire up to a minute before the idle limit would end the session: the
server-side record's idle time is itself written at most once a minute (app.sessions.TOUCH_EVERY). A changed
session is written at once, as before; what signs anyone in or out is still the server-side record
(app.sessions), checked on every request.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from itsdangerous import BadSignature

REFRESH_EVERY = timedelta(minutes=1)


class _Session(SecureCookieSession):
    signed_at: datetime | None = None  # when the cookie it came from was signed


class SessionCookie(SecureCookieSessionInterface):
    session_class = _Session

    def open_session(self, app: Flask, request: Request) -> _Session | None:
        if not app.secret_key:
            return None  # as Flask does: no key, no session
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()  # most page views: no signer to build
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data, signed_at = serializer.loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        session = self.session_class(data)
        session.signed_at = signed_at
        return session

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        if session.modified:
            return True
        if not (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            return False
        signed_at = getattr(session, "signed_at", None)
        return signed_at is None or datetime.now(UTC) - signed_at >= REFRESH_EVERY


def init_app(app: Flask) -> None:
    app.session_interface = SessionCookie()
