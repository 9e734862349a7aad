"""Both people posting at the same moment: nothing lost, order kept, counts exact.

The usual test transaction lives on one connection, which concurrent requests cannot share. This test runs
its own app on a scratch database, where every request commits for real on its own pooled connection.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from marketplace.messaging.queries import unread_total
from models import Message, MessageThread
from tests.dbserver import scratch_app as scratch_database_app
from tests.marketplace.messaging.conftest import signed_in_client, thread_between_two_people, unread_counters

CLIENTS_PER_SIDE = 5
MESSAGES_PER_CLIENT = 5  # 2 sides x 5 clients x 5 messages = 50


@pytest.fixture
def scratch_app(pg_server_url: str) -> Iterator[Flask]:
    with scratch_database_app(pg_server_url, f"breeder_msg_concurrency_{os.getpid()}") as app:
        yield app


def _workers(app: Flask, ids: dict[str, int]) -> list[tuple]:
    return [
        (side, number, *signed_in_client(app, ids[side]))
        for side in ("buyer", "seller")
        for number in range(CLIENTS_PER_SIDE)
    ]


def _reply(client, token: str, thread_id: int, body: str) -> int:
    return client.post(f"/messages/{thread_id}/reply", data={"csrf_token": token, "body": body}).status_code


def _both_sides_at_once(app: Flask, step) -> tuple[dict[str, int], dict[str, str], list, list[int]]:
    """Five clients per side start together; each runs step(client, token, thread_id, body) for its
    MESSAGES_PER_CLIENT bodies "<side>-<client>-<sequence>". Returns ids, e-mails, workers and HTTP statuses."""
    ids, emails = thread_between_two_people(app)
    workers = _workers(app, ids)
    start = threading.Barrier(len(workers))

    def run(side: str, number: int, client, token: str) -> list[int]:
        start.wait()
        statuses: list[int] = []
        for sequence in range(MESSAGES_PER_CLIENT):
            statuses += step(client, token, ids["thread"], f"{side}-{number}-{sequence}")
        return statuses

    with ThreadPoolExecutor(max_workers=len(workers)) as pool:
        statuses = [status for result in pool.map(lambda w: run(*w), workers) for status in result]
    return ids, emails, workers, statuses


def test_fifty_messages_posted_at_once_by_both_sides_are_all_stored_in_order(scratch_app: Flask):
    ids, emails, _, statuses = _both_sides_at_once(
        scratch_app, lambda client, token, thread_id, body: [_reply(client, token, thread_id, body)]
    )
    assert statuses == [302] * 50

    with scratch_app.app_context():
        messages = db.session.scalars(
            select(Message).where(Message.thread_id == ids["thread"]).order_by(Message.created_at, Message.id)
        ).all()
        thread = db.session.get(MessageThread, ids["thread"])

        assert len(messages) == 50
        assert {m.message_text for m in messages} == {
            f"{side}-{number}-{sequence}"
            for side in ("buyer", "seller")
            for number in range(CLIENTS_PER_SIDE)
            for sequence in range(MESSAGES_PER_CLIENT)
        }
        # One order for everyone: by time and by id alike, and each sender's messages in the order sent.
        assert [m.id for m in messages] == sorted(m.id for m in messages)
        assert len({m.created_at for m in messages}) == 50
        for side in ("buyer", "seller"):
            for number in range(CLIENTS_PER_SIDE):
                prefix = f"{side}-{number}-"
                mine = [m.message_text for m in messages if m.message_text.startswith(prefix)]
                assert mine == [f"{prefix}{sequence}" for sequence in range(MESSAGES_PER_CLIENT)]
        assert all(m.sender_user_id == ids[m.message_text.split("-")[0]] for m in messages)
        assert thread.last_message_at == messages[-1].created_at
        assert thread.status == "active"
        assert unread_total(ids["buyer"]) == 25
        assert unread_total(ids["seller"]) == 25
        assert unread_counters(ids["thread"]) == {"stored": (25, 25), "real": (25, 25)}

    # Many messages, but one e-mail to each person (the rate window is claimed once, even under the race).
    outbox = scratch_app.extensions.get("outbox", [])
    assert sorted(m["To"] for m in outbox) == sorted(emails.values())


def test_unread_counters_stay_exact_while_both_sides_post_and_read_at_once(scratch_app: Flask):
    def post_and_sometimes_read(client, token: str, thread_id: int, body: str) -> list[int]:
        statuses = [_reply(client, token, thread_id, body)]
        # About half the time, open the thread: the other side's messages get read meanwhile.
        if sum(map(ord, body)) % 2:
            statuses.append(client.get(f"/messages/{thread_id}").status_code)
        return statuses

    ids, _, workers, statuses = _both_sides_at_once(scratch_app, post_and_sometimes_read)
    assert set(statuses) <= {200, 302} and statuses.count(302) == 50 and statuses.count(200) > 0

    with scratch_app.app_context():
        counters = unread_counters(ids["thread"])
        assert counters["stored"] == counters["real"]
        assert unread_total(ids["buyer"]) == counters["real"][0]
        assert unread_total(ids["seller"]) == counters["real"][1]
        db.session.remove()

    for client in (workers[0][2], workers[-1][2]):  # buyer and seller open it once more: nothing left unread
        assert client.get(f"/messages/{ids['thread']}").status_code == 200
    with scratch_app.app_context():
        assert unread_counters(ids["thread"]) == {"stored": (0, 0), "real": (0, 0)}
