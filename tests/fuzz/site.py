"""What the fuzz suite learns about the site: its routes (from the app's URL map), and, by crawling the pages a
person sees, a real address for each route and the fields of each form and link that lead to it.

Every rule of `app.url_map` is a target unless EXCLUDED names it with a reason. A target's address comes from the
crawl (ids the signed-in person can really see), or else from FALLBACK_ARGUMENTS (a route no page links to, like a
token link from an e-mail); its form fields and query parameters come from every form and link of the crawled
pages that leads to it. A new route is thereby fuzzed without editing this suite, and the coverage test fails
for a route whose arguments it cannot fill.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

from flask import Flask
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, Rule

SAFE_METHODS = ("GET", "POST")

# endpoint -> why it is not fuzzed. Every other rule is.
EXCLUDED: dict[str, str] = {
    "static": "Werkzeug's send_from_directory serves the files under static/ (safe_join refuses ../); no app code "
    "and no database are behind it",
}
# Routes that take no form but a raw body are fuzzed by their own test module.
OWN_TEST: dict[str, str] = {
    "payments.stripe_webhook": "tests/fuzz/test_webhook_fuzz.py (a raw JSON body and its signature, not a form)",
}

# Path arguments no crawled page may show (links sent by e-mail, or ids a face never sees): a plausible value.
FALLBACK_ARGUMENTS: dict[str, str] = {
    "tenant_slug": "sunny-acres",
    "token": "InN0aWxsLWEtdG9rZW4i.aaaa.bbbb",
    "name": "photos/1/missing.webp",
}
INT_FALLBACK = "1"

# The first pages of each face; the crawl follows links from them.
SEEDS = (
    "/",
    "/listings",
    "/messages",
    "/account/invoices",
    "/dashboard/listings",
    "/dashboard/sales",
    "/portal/sunny-acres/",
    "/portal/sunny-acres/invoices",
    "/portal/sunny-acres/payments",
    "/login",
    "/register",
    "/portal/sunny-acres/login",
)
CRAWL_PAGES = 60
PAGES_PER_ENDPOINT = 2


def fuzzed_rules(app: Flask) -> list[Rule]:
    return [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in EXCLUDED and rule.endpoint not in OWN_TEST
    ]


def fallback_argument(rule: Rule, name: str) -> str | None:
    if isinstance(rule._converters.get(name), IntegerConverter):
        return INT_FALLBACK
    return FALLBACK_ARGUMENTS.get(name)


@dataclass
class Form:
    method: str
    action: str
    fields: dict[str, str]


@dataclass
class Target:
    """One route and method, with a real address, the fields its forms send and the parameters its links carry."""

    endpoint: str
    method: str
    path: str
    arguments: dict[str, str]
    fields: dict[str, str] = field(default_factory=dict)
    query: set[str] = field(default_factory=set)


class _PageParser(HTMLParser):
    """The links, htmx addresses, images and forms (with their fields' initial values) of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []  # (method, address)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        for name, method in (("href", "GET"), ("src", "GET"), ("hx-get", "GET"), ("hx-post", "POST")):
            if attributes.get(name) and tag != "form":
                self.links.append((method, attributes[name]))
        if tag == "form":
            self._form = Form(attributes.get("method", "get").upper(), attributes.get("action", ""), {})
            self.forms.append(self._form)
            if attributes.get("hx-post"):
                self.forms.append(Form("POST", attributes["hx-post"], self._form.fields))
        elif self._form is not None and attributes.get("name"):
            name = attributes["name"]
            if tag == "input" and attributes.get("type") in ("checkbox", "radio"):
                if "checked" in attributes or name not in self._form.fields:
                    self._form.fields[name] = attributes.get("value", "on")
            elif tag == "input":
                self._form.fields[name] = attributes.get("value", "")
            elif tag == "select":
                self._select = name
                self._form.fields.setdefault(name, "")
            elif tag == "textarea":
                self._textarea = name
                self._form.fields[name] = ""
        elif (
            tag == "option"
            and self._form is not None
            and self._select
            and (not self._form.fields.get(self._select) or "selected" in attributes)
        ):
            self._form.fields[self._select] = attributes.get("value", "")

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._textarea:
            self._form.fields[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


class Site:
    """Crawls as one client (one face) and keeps, per (endpoint, method), what it found."""

    def __init__(self, app: Flask, client) -> None:
        self.app = app
        self.client = client
        self.adapter = app.url_map.bind("localhost")
        self.found: dict[tuple[str, str], Target] = {}
        self._visits: dict[str, int] = defaultdict(int)

    def _match(self, method: str, address: str) -> tuple[str, dict[str, str], str, str] | None:
        parts = urlsplit(address)
        if parts.netloc or parts.scheme not in ("", "http", "https") or not parts.path.startswith("/"):
            return None
        try:
            endpoint, arguments = self.adapter.match(parts.path, method=method)
        except HTTPException:
            return None
        except Exception:  # a redirect to the slash-ended form of a rule
            return None
        return endpoint, {k: str(v) for k, v in arguments.items()}, parts.path, parts.query

    def _note(self, method: str, address: str, fields: dict[str, str] | None = None) -> str | None:
        matched = self._match(method, address)
        if matched is None:
            return None
        endpoint, arguments, path, query = matched
        target = self.found.setdefault((endpoint, method), Target(endpoint, method, path, arguments))
        target.query.update(name for name, _ in parse_qsl(query, keep_blank_values=True))
        if fields:
            for name, value in fields.items():
                target.fields.setdefault(name, value)
        return endpoint

    def crawl(self) -> None:
        queue = list(SEEDS)
        seen: set[str] = set()
        pages = 0
        while queue and pages < CRAWL_PAGES:
            address = queue.pop(0)
            if address in seen:
                continue
            seen.add(address)
            endpoint = self._note("GET", address)
            if endpoint is None or endpoint in EXCLUDED or endpoint == "media":
                continue
            if self._visits[endpoint] >= PAGES_PER_ENDPOINT:
                continue
            self._visits[endpoint] += 1
            pages += 1
            response = self.client.get(address)
            if response.status_code in (301, 302, 303) and "Location" in response.headers:
                queue.append(urljoin(address, response.headers["Location"]))
                continue
            if response.mimetype != "text/html":
                continue
            parser = _PageParser()
            parser.feed(response.get_data(as_text=True))
            for method, link in parser.links:
                link = urljoin(address, link)
                if self._note(method, link) is not None and method == "GET":
                    queue.append(link)
            for form in parser.forms:
                action = urljoin(address, form.action or address)
                if form.method == "GET":
                    self._note("GET", action, None)
                    matched = self._match("GET", action)
                    if matched is not None:
                        self.found[(matched[0], "GET")].query.update(form.fields)
                else:
                    self._note(form.method, action, form.fields)

    def targets(self) -> list[Target]:
        """Every fuzzed rule and method: as crawled, or at its fallback address."""
        targets = []
        for rule in fuzzed_rules(self.app):
            for method in sorted(set(rule.methods or ()) & set(SAFE_METHODS)):
                found = self.found.get((rule.endpoint, method))
                if found is None:
                    arguments = {name: fallback_argument(rule, name) for name in rule.arguments}
                    missing = [name for name, value in arguments.items() if value is None]
                    assert not missing, f"{rule.rule}: no value for {missing}; add it to FALLBACK_ARGUMENTS"
                    path = self.adapter.build(rule.endpoint, arguments, method=method)
                    found = Target(rule.endpoint, method, path, arguments)  # type: ignore[arg-type]
                    if method == "GET" and (rule.endpoint, "POST") in self.found:
                        found.query = set(self.found[(rule.endpoint, "POST")].fields)
                targets.append(found)
        # Signing out ends the face's session: its own turn comes last.
        return sorted(targets, key=lambda target: target.endpoint.endswith("logout"))
