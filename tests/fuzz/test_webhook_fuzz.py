"""Hostile bodies on POST /webhooks/stripe, the one route that takes a raw body instead of a form.

Bodies are signed with the real webhook secret (as if the secret had leaked, or Stripe sent something odd) and
also unsigned or badly signed. Invariants: never a server error (Stripe would retry a 500 forever), and a refused
body (4xx) records nothing."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.conftest import table_counts
from tests.fuzz.corpus import CORPUS

HANDLED_TYPES = ["payment_intent.succeeded", "payment_intent.payment_failed", "charge.refunded", "x.unknown"]

HOSTILE_BODIES: list[bytes] = [
    b"",
    b"\x00",
    b'{"id": "evt_1", "type": "payment_intent.succeeded"}\x00',
    b"\xff\xfe{}",
    b"null",
    b"[]",
    b'"a string"',
    b"{}",
    b'{"id": "evt_\\u0000nul", "type": "payment_intent.succeeded", "data": {"object": {}}}',
    b'{"id": "evt_nul_in_data", "type": "x.unknown", "data": {"object": {"note": "a\\u0000b"}}}',
    b'{"id": "evt_surrogate", "type": "x.unknown", "data": {"object": {"note": "\\ud800"}}}',
    b'{"id": "evt_\\ud800", "type": "x.unknown", "data": {}}',
    b'{"id": 123, "type": "payment_intent.succeeded", "data": {"object": {}}}',
    b'{"id": ["evt_list"], "type": "x.unknown"}',
    b'{"id": "evt_type_object", "type": {"a": 1}}',
    b'{"id": "evt_no_data", "type": "payment_intent.succeeded"}',
    b'{"id": "evt_null_data", "type": "payment_intent.succeeded", "data": null}',
    b'{"id": "evt_object_list", "type": "payment_intent.succeeded", "data": {"object": []}}',
    b'{"id": "evt_intent_dict", "type": "payment_intent.succeeded", "data": {"object": {"id": {"x": 1}}}}',
    b'{"id": "evt_charge_intent_int", "type": "charge.refunded", '
    b'"data": {"object": {"object": "charge", "payment_intent": 9999999999999999999999}}}',
    b'{"id": "evt_huge", "type": "payment_intent.succeeded", "data": {"object": {"id": "pi_x", '
    b'"amount_received": 1e999}}}',
    b'{"id": "' + b"e" * 300 + b'", "type": "x.unknown", "data": {"object": {}}}',
    b'{"id": "evt_deep", "type": "x.unknown", "data": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    *(
        json.dumps({"id": f"evt_corpus_{n}", "type": "x.unknown", "data": {"object": {"v": value}}}).encode()
        for n, value in enumerate(CORPUS)
        if isinstance(value, str)
    ),
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
events = st.fixed_dictionaries(
    {
        "id": st.one_of(st.text(max_size=40), st.integers(), st.none()),
        "type": st.one_of(st.sampled_from(HANDLED_TYPES), st.text(max_size=20)),
        "data": st.one_of(st.fixed_dictionaries({"object": json_values}), json_values),
    }
)


def _assert_clean(response, body: bytes, before: dict[str, int]) -> None:
    assert response.status_code < 500, f"{body[:200]!r}: answered {response.status_code}"
    if response.status_code >= 400:
        after = table_counts()
        assert after == before, f"{body[:200]!r}: refused but rows changed"


@pytest.mark.parametrize("body", HOSTILE_BODIES, ids=range(len(HOSTILE_BODIES)))
def test_a_hostile_signed_body_is_refused_or_acknowledged_never_a_server_error(deliver, body: bytes):
    before = table_counts()
    _assert_clean(deliver(body), body, before)


@pytest.mark.parametrize(
    "signature", ["", "\x00", "t=1,v1=" + "0" * 64, "t=" + "9" * 300 + ",v1=x", "garbage"]
)
def test_a_bad_signature_is_refused_and_records_nothing(client, signature: str):
    before = table_counts()
    body = b'{"id": "evt_forged", "type": "payment_intent.succeeded", "data": {"object": {}}}'
    response = client.post(
        "/webhooks/stripe",
        data=body,
        headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert table_counts() == before


def test_generated_signed_events_never_answer_a_server_error(deliver):
    @settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(events)
    def one_event(event: dict) -> None:
        body = json.dumps(event).encode()
        before = table_counts()
        _assert_clean(deliver(body), body, before)

    one_event()
