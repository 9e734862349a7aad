"""Hostile input on every route, as each face: anonymous, a portal contact, a marketplace buyer and a seller.

The routes come from the app's URL map (tests/fuzz/site.py), so a new route is fuzzed without editing this file.
Each face signs in, crawls the pages it can see to learn real ids, forms and links, then sends to every route:
1. the corpus (tests/fuzz/corpus.py), every value once in every form field and query parameter, the path and
   the CSRF token valid so the forms are really processed;
2. the path corpus in each path argument;
3. Hypothesis' values in every field at once, FUZZ_EXAMPLES times.
After each answer: no server error (5xx), no marker reflected unescaped in an HTML page, no redirect off the
site, and a refused form (4xx) left every table's row count as it was.
"""

from __future__ import annotations

import os
import time
from urllib.parse import quote, quote_from_bytes, urlsplit

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.routing import IntegerConverter
from werkzeug.test import TestResponse

from tests.fuzz.conftest import FACES, Face, table_counts
from tests.fuzz.corpus import AT_THE_DOOR, CORPUS, DANGEROUS, INT_PATH_CORPUS, PATH_CORPUS, Value, values
from tests.fuzz.site import EXCLUDED, OWN_TEST, Site, Target, fallback_argument, fuzzed_rules

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "1"))
NOT_FUZZED = {"csrf_token"}
SAMPLE_TURNS = 2
PLACEHOLDER = "987654321"  # fits every converter; replaced by the hostile value once the path is built


def _encoded(value: Value) -> str:
    raw = value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
    return quote_from_bytes(raw, safe="")


def _urlencoded(pairs: dict[str, Value]) -> str:
    return "&".join(f"{quote(name, safe='')}={_encoded(value)}" for name, value in pairs.items())


class Fuzzer:
    def __init__(self, app: Flask, face: Face, targets: list[Target]) -> None:
        self.app = app
        self.face = face
        self.targets = targets
        self.requests = 0
        every_field = {name for target in targets for name in target.fields}
        self.all_fields = sorted(every_field - NOT_FUZZED)
        self.all_parameters = sorted({name for target in targets for name in target.query} - NOT_FUZZED)
        self.counts: dict[str, int] | None = None
        self.refused: set[tuple[str, str]] = set()

    def names(self, target: Target) -> list[str]:
        """The fields (POST) or query parameters (GET) that this target's forms and links carry."""
        if target.method == "GET":
            return sorted(target.query - NOT_FUZZED) or self.all_parameters
        return sorted(set(target.fields) - NOT_FUZZED) or self.all_fields

    def own_names(self, target: Target) -> bool:
        """Whether the crawl found this target's own fields (else it gets every name the site uses, sampled)."""
        return bool(target.query - NOT_FUZZED if target.method == "GET" else set(target.fields) - NOT_FUZZED)

    def send(self, target: Target, path: str, hostile: dict[str, Value]) -> TestResponse:
        described = f"{self.face.name} {target.method} {path} {hostile!r}"[:600]
        if target.method == "GET":
            self.counts = (
                None  # a GET may write (a read receipt, a cache row): count again before the next form
            )
            response = self.face.client.get(path, query_string=_urlencoded(hostile))
            self.check(response, described)
            return response
        form = {**target.fields, **hostile, "csrf_token": self.face.token}
        before = self.counts if self.counts is not None else table_counts()
        response = self.face.client.post(
            path,
            data=_urlencoded(form),
            content_type="application/x-www-form-urlencoded",
            headers={"X-CSRFToken": self.face.token},
        )
        self.check(response, described)
        self.counts = None
        if response.status_code >= 400:
            after = self.counts = table_counts()
            changed = {
                table: (before[table], after[table]) for table in before if before[table] != after[table]
            }
            assert not changed, (
                f"{described}: refused with {response.status_code} but rows changed: {changed}"
            )
        return response

    def turned_away(self, target: Target, response: TestResponse) -> bool:
        """The route refuses this face whatever the values (not theirs, or sign in first): one request showed it,
        and the rest of the passes skip it."""
        sign_in = response.status_code in (302, 303) and "login" in response.headers.get("Location", "")
        if sign_in or response.status_code in (401, 403, 404, 405):
            self.refused.add((target.endpoint, target.method))
            return True
        return False

    def check(self, response: TestResponse, described: str) -> None:
        self.requests += 1
        assert response.status_code < 500, f"{described}: answered {response.status_code}"
        if response.mimetype == "text/html":
            page = response.get_data(as_text=True)
            raw = [marker for marker in DANGEROUS if marker in page]
            assert not raw, f"{described}: reflected unescaped: {raw}"
        location = response.headers.get("Location", "")
        parts = urlsplit(location)
        assert not parts.netloc or parts.netloc == "localhost", (
            f"{described}: redirected off the site: {location}"
        )

    def corpus_pass(self, covered: set[tuple[str, str]]) -> None:
        """Every corpus value in every field of a route, from the first face whose request the route processes;
        each later face sends SAMPLE_TURNS of them (its own branch of the view, at a fraction of the time)."""
        for target in self.targets:
            names = self.names(target)
            key = (target.endpoint, target.method)
            sampled = key in covered or not self.own_names(target)
            turns = (SAMPLE_TURNS if sampled else len(CORPUS)) if names else 1
            for turn in range(turns):
                hostile = {name: CORPUS[(turn + index) % len(CORPUS)] for index, name in enumerate(names)}
                if self.turned_away(target, self.send(target, target.path, hostile)):
                    break
            else:
                covered.add(key)
                for value in AT_THE_DOOR if names else ():
                    self.send(target, target.path, dict.fromkeys(names, value))

    def path_pass(self) -> None:
        adapter = self.app.url_map.bind("localhost")
        for target in self.targets:
            rule = self.app.url_map._rules_by_endpoint[target.endpoint][0]
            for argument in target.arguments:
                numeric = isinstance(rule._converters.get(argument), IntegerConverter)
                for value in INT_PATH_CORPUS if numeric else PATH_CORPUS:
                    arguments = {**target.arguments, argument: PLACEHOLDER}
                    path = adapter.build(target.endpoint, arguments, method=target.method)
                    path = path.replace(PLACEHOLDER, quote(value, safe="%"), 1)
                    self.send(target, path, {})

    def generated_pass(self) -> None:
        @settings(
            max_examples=FUZZ_EXAMPLES,
            deadline=None,
            database=None,
            derandomize=bool(os.environ.get("CI")),  # the same values on every CI run; new ones locally
            suppress_health_check=list(HealthCheck),
        )
        @given(st.data())
        def every_route_at_once(data: st.DataObject) -> None:
            for target in self.targets:
                if (target.endpoint, target.method) in self.refused:
                    continue
                names = self.names(target)
                hostile = data.draw(
                    st.fixed_dictionaries({name: values for name in names}), label=target.path
                )
                self.send(target, target.path, hostile)

        every_route_at_once()


def test_hostile_input_on_every_route_is_refused_cleanly(app: Flask, face_of):
    """One test for the four faces, so the demo world is built once (it takes seconds)."""
    covered: set[tuple[str, str]] = set()
    for face_name in FACES:
        started = time.monotonic()
        face = face_of(face_name)
        site = Site(app, face.client)
        site.crawl()
        fuzzer = Fuzzer(app, face, site.targets())
        fuzzer.corpus_pass(covered)
        for run in (fuzzer.path_pass, fuzzer.generated_pass):
            face.begin()  # a pass may have ended the session (signing out is fuzzed too)
            run()
        with_fields = sum(1 for target in fuzzer.targets if fuzzer.names(target))
        print(
            f"{face_name}: {len(fuzzer.targets)} routes and methods ({len(site.found)} found by the crawl, "
            f"{with_fields} with fields or parameters), {len(fuzzer.refused)} turned this face away; "
            f"{fuzzer.requests} requests in {time.monotonic() - started:.1f} s"
        )


def test_every_route_is_fuzzed_or_excluded_with_a_reason(app: Flask):
    """A new route is fuzzed by itself, unless no address can be made for it: then this fails and says what to
    add. An exclusion names a route that exists and says why."""
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    for reasons in (EXCLUDED, OWN_TEST):
        assert set(reasons) <= endpoints, f"excluded routes that no longer exist: {set(reasons) - endpoints}"
        assert all(len(reason) > 20 for reason in reasons.values())
    for rule in fuzzed_rules(app):
        missing = [name for name in rule.arguments if fallback_argument(rule, name) is None]
        assert not missing, (
            f"{rule.rule}: the fuzz suite cannot make an address (no value for {missing}). Add one to "
            "tests/fuzz/site.py FALLBACK_ARGUMENTS, or exclude the route in EXCLUDED with a reason."
        )
        assert set(rule.methods or ()) & {"GET", "POST"}, f"{rule.rule}: only methods the suite does not send"
