"""A send stored for real: an answer that fails after the commit is still a success, and one form posted 25 times
at once stores one message.

Runs on a scratch database (requests commit for real, each on its own pooled connection), as
test_concurrency.py. The failure is real too: right after the reply's commit, the database stops accepting
connections and the app's connections are terminated, so the reads that follow fail as in a restart."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import psycopg
import pytest
from flask import Flask, request
from psycopg import sql
from sqlalchemy import event, func, make_url, select
from sqlalchemy.orm import Session

from app.extensions import db
from marketplace.messaging.routes import REPLY_SENT_WITHOUT_UPDATES
from models import Message, MessageThread
from tests.dbserver import scratch_app as scratch_database_app
from tests.factories import MarketplaceUserFactory, ServiceListingFactory
from tests.marketplace.messaging.conftest import signed_in_client, thread_between_two_people
from tests.marketplace.messaging.test_idempotency import form_key

PARALLEL_POSTS = 25


@pytest.fixture(scope="module")
def scratch_app(pg_server_url: str) -> Iterator[Flask]:
    # One scratch database for the module (each test makes its own people and threads): building one takes seconds.
    with scratch_database_app(pg_server_url, f"breeder_msg_idempotency_{os.getpid()}") as app:
        yield app


def _admin_connection(app: Flask) -> psycopg.Connection:
    """As the owner (the migrations' role): the app's own role may not close its database to connections."""
    url = make_url(app.config["MIGRATION_DATABASE_URI"]).set(drivername="postgresql", database="postgres")
    return psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)


@contextmanager
def _database_lost_after_the_reply_commits(app: Flask) -> Iterator[list[str]]:
    """Right after the first commit of a reply request: no new connection to the app's database is allowed,
    and its open ones are terminated. Yields the list the database's name lands in once that happened."""
    with app.app_context():
        database = db.engine.url.database
    happened: list[str] = []

    def lose_the_database(_session: Session) -> None:
        if happened or not request.path.endswith("/reply"):
            return
        with _admin_connection(app) as admin:
            admin.execute(
                sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(sql.Identifier(database))
            )
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (database,)
            )
        happened.append(database)

    event.listen(Session, "after_commit", lose_the_database)
    try:
        yield happened
    finally:
        event.remove(Session, "after_commit", lose_the_database)
        with _admin_connection(app) as admin:
            admin.execute(
                sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(sql.Identifier(database))
            )


def _message_count(app: Flask, thread_id: int, text: str) -> int:
    with app.app_context():
        count = db.session.scalar(
            select(func.count()).where(Message.thread_id == thread_id, Message.message_text == text)
        )
        db.session.remove()
        return count


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain-form"])
def test_a_reply_whose_answer_fails_after_the_commit_is_a_success_and_its_retry_stores_nothing(
    scratch_app: Flask, htmx: bool
):
    ids, _ = thread_between_two_people(scratch_app)
    client, token = signed_in_client(scratch_app, ids["buyer"])
    key = form_key(client.get(f"/messages/{ids['thread']}").get_data(as_text=True))
    form = {"csrf_token": token, "body": "Ten o'clock then.", "idempotency_key": key}
    headers = {"HX-Request": "true"} if htmx else {}

    with _database_lost_after_the_reply_commits(scratch_app) as happened:
        answer = client.post(f"/messages/{ids['thread']}/reply", data=form, headers=headers)
    assert happened, "the database was not taken away after the commit"

    if htmx:
        assert answer.status_code == 200
        page = answer.get_data(as_text=True)
        assert REPLY_SENT_WITHOUT_UPDATES in page
        assert form_key(page) != key  # a fresh form for the next message
    else:
        assert answer.status_code == 302
        assert answer.headers["Location"] == f"/messages/{ids['thread']}#latest"
    assert _message_count(scratch_app, ids["thread"], "Ten o'clock then.") == 1

    # The sender, unsure, sends the same form again once the database is back: still one message.
    retry = client.post(f"/messages/{ids['thread']}/reply", data=form, headers=headers)
    assert retry.status_code == (200 if htmx else 302)
    assert _message_count(scratch_app, ids["thread"], "Ten o'clock then.") == 1


def _post_at_once(app: Flask, user_id: int, path: str, form: dict[str, str]) -> list[int]:
    """PARALLEL_POSTS clients of one user post `form` to `path` at the same moment; their statuses."""
    clients = [signed_in_client(app, user_id) for _ in range(PARALLEL_POSTS)]
    start = threading.Barrier(PARALLEL_POSTS)

    def send(signed_in) -> int:
        client, token = signed_in
        start.wait()
        return client.post(path, data={"csrf_token": token, **form}).status_code

    with ThreadPoolExecutor(max_workers=PARALLEL_POSTS) as pool:
        return list(pool.map(send, clients))


def test_one_reply_form_posted_25_times_at_once_stores_one_message(scratch_app: Flask):
    ids, _ = thread_between_two_people(scratch_app)
    statuses = _post_at_once(
        scratch_app,
        ids["seller"],
        f"/messages/{ids['thread']}/reply",
        {"body": "Confirmed.", "idempotency_key": "parallel-key-0123456789"},
    )
    assert statuses == [302] * PARALLEL_POSTS
    assert _message_count(scratch_app, ids["thread"], "Confirmed.") == 1


def test_one_message_the_seller_form_posted_25_times_at_once_makes_one_conversation(scratch_app: Flask):
    with scratch_app.app_context():
        listing = ServiceListingFactory(provider_user=MarketplaceUserFactory(user_type="service_provider"))
        buyer = MarketplaceUserFactory()  # a new account: 3 new conversations a day, far fewer than 25
        db.session.commit()
        listing_id, buyer_id = listing.id, buyer.id
        db.session.remove()

    statuses = _post_at_once(
        scratch_app,
        buyer_id,
        f"/listings/{listing_id}/message",
        {"subject": "", "body": "Are you free in May?", "idempotency_key": "first-message-key-0123456789"},
    )
    assert statuses == [302] * PARALLEL_POSTS
    with scratch_app.app_context():
        [thread_id] = db.session.scalars(
            select(MessageThread.id).where(MessageThread.buyer_user_id == buyer_id)
        ).all()
        db.session.remove()
    assert _message_count(scratch_app, thread_id, "Are you free in May?") == 1
