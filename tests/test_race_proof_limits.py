"""Limits hold when 25 requests arrive at once: an attempt is counted before the work it guards, not after.

Each test runs its own app on a scratch database, so requests commit for real on their own connections, and
fires every request from its own thread behind a barrier."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.auth import issue_session
from app.extensions import db, limiter
from models import Contact, MarketplaceUser, MessageThread
from tests.conftest import csrf_token_from
from tests.dbserver import scratch_app
from tests.factories import (
    PASSWORD,
    ContactFactory,
    MarketplaceUserFactory,
    PartyFactory,
    ServiceListingFactory,
    TenantFactory,
)

PARALLEL = 25


@pytest.fixture
def race_app(pg_server_url: str) -> Iterator[Flask]:
    with scratch_app(pg_server_url, f"breeder_race_{os.getpid()}") as app:
        with app.app_context():
            limiter.reset()
        yield app


def _all_at_once(jobs: list[Callable[[], int]]) -> list[int]:
    start = threading.Barrier(len(jobs))

    def run(job: Callable[[], int]) -> int:
        start.wait()
        return job()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(run, jobs))


def _client_with_token(app: Flask, path: str) -> tuple[FlaskClient, str]:
    client = app.test_client()
    return client, csrf_token_from(client.get(path).get_data(as_text=True))


def _signed_in(app: Flask, kind: str, record_id: int, path: str) -> tuple[FlaskClient, str]:
    client = app.test_client()
    with app.app_context():
        model = MarketplaceUser if kind == "marketplace" else Contact
        identity = issue_session(kind, db.session.get(model, record_id))
        db.session.commit()
        db.session.remove()
    with client.session_transaction() as session:
        session.update({"_user_id": identity, "_fresh": True})
    return client, csrf_token_from(client.get(path).get_data(as_text=True))


def test_25_parallel_wrong_passwords_process_at_most_the_marketplace_limit(race_app: Flask):
    with race_app.app_context():
        MarketplaceUserFactory(email="target@example.test")
        db.session.commit()
        db.session.remove()
    clients = [_client_with_token(race_app, "/login") for _ in range(PARALLEL)]

    statuses = _all_at_once(
        [
            lambda c=client, t=token: (
                c.post(
                    "/login",
                    data={"csrf_token": t, "email": "target@example.test", "password": "wrong-guess-123"},
                ).status_code
            )
            for client, token in clients
        ]
    )

    # "8 per 15 minutes" per address and e-mail: eight guesses were checked, every other one refused unchecked.
    assert statuses.count(422) == 8
    assert statuses.count(429) == PARALLEL - 8


def test_a_correct_password_gives_back_its_claimed_attempt(race_app: Flask):
    with race_app.app_context():
        MarketplaceUserFactory(email="owner@example.test")
        db.session.commit()
        db.session.remove()

    def sign_in(password: str) -> int:
        client, token = _client_with_token(race_app, "/login")
        data = {"csrf_token": token, "email": "owner@example.test", "password": password}
        return client.post("/login", data=data).status_code

    # Twelve correct sign-ins (more than the eight failures allowed), then the eight failures are all still there.
    assert [sign_in(PASSWORD) for _ in range(12)] == [302] * 12
    assert [sign_in("wrong-guess-123") for _ in range(9)] == [422] * 8 + [429]


def test_25_parallel_wrong_current_passwords_process_at_most_the_portal_limit(race_app: Flask):
    with race_app.app_context():
        tenant = TenantFactory(slug="sunny")
        contact = ContactFactory(party=PartyFactory(tenant=tenant))
        db.session.commit()
        contact_id = contact.id
        db.session.remove()
    path = "/portal/sunny/account/password"
    clients = [_signed_in(race_app, "contact", contact_id, path) for _ in range(PARALLEL)]
    wrong = {
        "current_password": "not-my-password",
        "password": "a-New-pass-456!",
        "confirm": "a-New-pass-456!",
    }

    statuses = _all_at_once(
        [
            lambda c=client, t=token: c.post(path, data={"csrf_token": t, **wrong}).status_code
            for client, token in clients
        ]
    )

    # "10 per hour" failed password changes per address.
    assert statuses.count(422) == 10
    assert statuses.count(429) == PARALLEL - 10


def test_parallel_first_messages_start_at_most_a_new_accounts_three_conversations(race_app: Flask):
    with race_app.app_context():
        seller = MarketplaceUserFactory(user_type="service_provider")
        listings = [ServiceListingFactory(provider_user=seller) for _ in range(10)]
        buyer = MarketplaceUserFactory()  # created now: a new account, "3 per day"
        db.session.commit()
        buyer_id, listing_ids = buyer.id, [listing.id for listing in listings]
        db.session.remove()
    clients = [_signed_in(race_app, "marketplace", buyer_id, "/messages") for _ in listing_ids]

    statuses = _all_at_once(
        [
            lambda c=client, t=token, listing_id=listing_id: (
                c.post(
                    f"/listings/{listing_id}/message",
                    data={"csrf_token": t, "subject": "Hello", "body": "Is it free?"},
                ).status_code
            )
            for (client, token), listing_id in zip(clients, listing_ids, strict=True)
        ]
    )

    with race_app.app_context():
        started = db.session.scalar(select(func.count()).where(MessageThread.buyer_user_id == buyer_id))
    assert started == 3
    assert statuses.count(302) == 3
    assert statuses.count(429) == 7


def test_25_parallel_signed_out_resends_send_at_most_three_links(race_app: Flask):
    with race_app.app_context():
        MarketplaceUserFactory(email="unconfirmed@example.com", email_verified=False)
        db.session.commit()
        db.session.remove()
    outbox = race_app.extensions.setdefault("outbox", [])
    clients = [_client_with_token(race_app, "/register/resend") for _ in range(PARALLEL)]
    sent_before = len(outbox)

    statuses = _all_at_once(
        [
            lambda c=client, t=token: (
                c.post(
                    "/register/resend", data={"csrf_token": t, "email": "unconfirmed@example.com"}
                ).status_code
            )
            for client, token in clients
        ]
    )

    # "3 per hour" per address (marketplace/limits.py): three answered and mailed, every other one refused.
    assert statuses.count(200) == 3
    assert statuses.count(429) == PARALLEL - 3
    assert len(outbox) - sent_before == 3
