"""Just enough of a browser to sign in through the real forms (CSRF token and all) and hand wrk the cookies.

Production cookies are `Secure`, and production believes the proxy in front of it (TRUSTED_PROXIES=1): every
request says, as a TLS-terminating proxy would, that it came in over HTTPS. The cookies are kept here by hand,
whatever their Secure flag, because the last hop (proxy to app) is plain HTTP on the loopback, as in production.
"""

from __future__ import annotations

import http.client
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urljoin, urlsplit

PROXY_HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "127.0.0.1"}


@dataclass
class Form:
    action: str
    fields: dict[str, str] = field(default_factory=dict)
    has_password: bool = False


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.links: dict[str, str] = {}  # rel -> href of <a rel="…">

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form" and attributes.get("method", "get").lower() == "post":
            self.forms.append(Form(attributes.get("action", "")))
        elif tag == "input" and self.forms and attributes.get("name"):
            if attributes.get("type") == "password":
                self.forms[-1].has_password = True
            if attributes.get("type") not in ("checkbox", "radio", "submit") or "checked" in attributes:
                self.forms[-1].fields[attributes["name"]] = attributes.get("value", "")
        elif tag == "a" and attributes.get("rel") and attributes.get("href"):
            for rel in attributes["rel"].split():
                self.links.setdefault(rel, attributes["href"])


def parse(html: str) -> _Forms:
    parser = _Forms()
    parser.feed(html)
    return parser


@dataclass
class Response:
    status: int
    location: str | None
    body: str


class Browser:
    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.cookies: dict[str, str] = {}

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def headers(self) -> dict[str, str]:
        return {**PROXY_HEADERS, **({"Cookie": self.cookie_header} if self.cookies else {})}

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Response:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        headers = self.headers()
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            # Flask-WTF checks the Referer of every HTTPS form post against the host.
            headers["Referer"] = f"https://{self.host}:{self.port}{path}"
        try:
            connection.request(method, path, body=body, headers=headers)
            answer = connection.getresponse()
            for header in answer.headers.get_all("Set-Cookie") or []:
                self._keep(header)
            return Response(
                answer.status, answer.getheader("Location"), answer.read().decode("utf-8", "replace")
            )
        finally:
            connection.close()

    def _keep(self, header: str) -> None:
        for name, morsel in SimpleCookie(header).items():
            if morsel["max-age"] == "0" or (morsel["expires"] and "1970" in morsel["expires"]):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def sign_in(self, login_path: str, email: str, password: str) -> None:
        """GET the sign-in page, fill its password form, POST it; raise unless it redirects away from it."""
        page = self.get(login_path)
        forms = [form for form in parse(page.body).forms if form.has_password]
        if page.status != 200 or not forms:
            raise RuntimeError(f"{login_path}: no sign-in form (HTTP {page.status})")
        form = forms[0]
        fields = {**form.fields, "email": email, "password": password}
        action = urlsplit(urljoin(login_path, form.action or login_path))
        answer = self.request("POST", action.path + (f"?{action.query}" if action.query else ""), fields)
        if answer.status not in (302, 303) or (answer.location or "").split("?")[0].endswith("/login"):
            raise RuntimeError(f"signing in as {email} at {login_path} failed (HTTP {answer.status})")
