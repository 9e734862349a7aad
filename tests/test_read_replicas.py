"""Public pages read from a real streaming replica; everything signed in, every write and whoever just wrote stay
on the primary; a replica that fails leaves every page working, on the primary.

The replica is made of this worker's own test server with `pg_basebackup -R` (tests/replica_server.py), once per
module; a server that cannot have one (no replication entry in its pg_hba.conf) skips those tests, with the
reason. The first tests need no replica: a replica that refuses connections, and the choice among several.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, event, select, text, update
from sqlalchemy.engine import make_url

from app.database_roles import APP_ROLE
from app.extensions import db
from app.read_routing import READ_FROM, Replica, ReplicaSet
from app.replicas import COOKIE, EXTENSION, make_replica_set
from models import MarketplaceUser, ServiceListing
from tests.conftest import csrf_token_from
from tests.dbserver import scratch_app
from tests.factories import PASSWORD, MarketplaceUserFactory, ServiceListingFactory
from tests.replica_server import (
    StreamingReplica,
    make_streaming_replica,
    wait_for_replay,
    wait_until_answering,
)

NOWHERE = "postgresql+psycopg://breeder_app@127.0.0.1:1/nowhere"


@contextmanager
def listing_reads() -> Iterator[list[bool]]:
    """pg_is_in_recovery() of the connection behind each statement that reads listings, in order."""
    seen: list[bool] = []

    def note(conn, _cursor, statement, *_args) -> None:
        if '"ServiceListing"' in statement:
            row = conn.connection.dbapi_connection.execute("SELECT pg_is_in_recovery()").fetchone()
            seen.append(row[0])

    event.listen(Engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", note)


@contextmanager
def connection_attempts(engine: Engine) -> Iterator[list[int]]:
    attempts: list[int] = []

    def count(*_args) -> None:
        attempts.append(1)

    event.listen(engine, "do_connect", count)
    try:
        yield attempts
    finally:
        event.remove(engine, "do_connect", count)


# ---- without a replica server ---------------------------------------------------------------------------------


@pytest.fixture
def unreachable_replica(app: Flask) -> Iterator[ReplicaSet]:
    replicas = make_replica_set([NOWHERE], dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"]), retry_seconds=60)
    app.extensions[EXTENSION] = replicas
    try:
        yield replicas
    finally:
        del app.extensions[EXTENSION]
        replicas.dispose()


def test_a_replica_that_refuses_connections_leaves_public_pages_on_the_primary(client, unreachable_replica):
    listing = ServiceListingFactory(title="Sheltie grooming by the lake")
    db.session.flush()
    engine = unreachable_replica.replicas[0].engine

    with connection_attempts(engine) as attempts:
        pages = [client.get(path) for path in ("/", "/listings?q=sheltie", f"/listings/{listing.id}")]

    for page in pages:
        assert page.status_code == 200
        assert "Sheltie grooming by the lake" in page.get_data(as_text=True)
    # One refused connection, then the replica is left alone instead of being tried on every request.
    assert len(attempts) == 1
    assert unreachable_replica.is_skipped(unreachable_replica.replicas[0])


def test_a_post_sets_the_read_your_writes_cookie_and_a_public_read_does_not(
    client, csrf, unreachable_replica
):
    assert COOKIE not in client.get("/").headers.get("Set-Cookie", "")
    response = client.post(
        "/login", data={"email": "nobody@example.test", "password": "wrong-password-9", "csrf_token": csrf()}
    )
    assert COOKIE in response.headers.get("Set-Cookie", "")


def test_a_routed_session_sends_plain_reads_to_the_replica_and_everything_from_its_first_write_on_to_the_primary(
    app, unreachable_replica
):
    replica = unreachable_replica.replicas[0]
    session = db.session()
    primary = session.get_bind(clause=select(ServiceListing))
    session.info[READ_FROM] = replica
    try:
        assert session.get_bind(clause=select(ServiceListing)) is replica.engine
        assert (
            session.get_bind(clause=select(ServiceListing.id).union(select(ServiceListing.id)))
            is replica.engine
        )
        assert session.get_bind(clause=select(ServiceListing).with_for_update()) is primary
        # The session has asked for a lock: it reads from the primary from now on.
        assert session.get_bind(clause=select(ServiceListing)) is primary

        session.info[READ_FROM] = replica
        assert session.get_bind(clause=update(ServiceListing).values(title="x")) is primary
        assert session.get_bind(clause=select(ServiceListing)) is primary

        session.info[READ_FROM] = replica
        assert session.get_bind(clause=text("SELECT 1")) is primary  # raw SQL may write: never routed
        assert READ_FROM not in session.info
    finally:
        session.info.pop(READ_FROM, None)


@pytest.mark.parametrize("forged", ["9" * 5000, "99999999999", "soon", "-1"])
def test_a_forged_read_your_writes_cookie_neither_breaks_the_page_nor_holds_reads_on_the_primary(
    client, unreachable_replica, forged
):
    client.set_cookie(COOKIE, forged)
    engine = unreachable_replica.replicas[0].engine
    with connection_attempts(engine) as attempts:
        assert client.get("/").status_code == 200
    assert len(attempts) == 1  # the replica was tried: the cookie was not believed


def test_reads_are_spread_over_every_healthy_replica_and_a_failed_one_waits_its_turn():
    now = [0.0]
    replicas = [Replica(engine=None, name=f"#{n}") for n in (1, 2, 3)]  # type: ignore[arg-type]
    spread = ReplicaSet(replicas, retry_seconds=30, clock=lambda: now[0], _rng=random.Random(15))

    assert {spread.choose().name for _ in range(60)} == {"#1", "#2", "#3"}  # type: ignore[union-attr]
    spread.failed(replicas[1])
    assert {spread.choose().name for _ in range(60)} == {"#1", "#3"}  # type: ignore[union-attr]
    now[0] = 31.0
    assert {spread.choose().name for _ in range(60)} == {"#1", "#2", "#3"}  # type: ignore[union-attr]
    for replica in replicas:
        spread.failed(replica)
    assert spread.choose() is None


# ---- a real streaming replica ---------------------------------------------------------------------------------


@dataclass
class ReplicaSite:
    app: Flask
    replica: StreamingReplica
    owner_url: str  # the primary's superuser
    replica_superuser_url: str
    listing_id: int
    provider_email: str

    def catch_up(self) -> None:
        wait_for_replay(self.owner_url, self.replica_superuser_url)

    def pause_replay(self) -> None:
        self._replica_sql("SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        self._replica_sql("SELECT pg_wal_replay_resume()")

    def _replica_sql(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.replica_superuser_url, autocommit=True) as conn:
            conn.execute(statement)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def streaming_replica(pg_server_url: str) -> Iterator[StreamingReplica]:
    replica = make_streaming_replica(pg_server_url)
    try:
        yield replica
    finally:
        replica.remove()


@pytest.fixture(scope="module")
def site(pg_server_url: str, streaming_replica: StreamingReplica) -> Iterator[ReplicaSite]:
    name = f"breeder_replica_{os.getpid()}"
    app_url = make_url(pg_server_url).set(database=name, username=APP_ROLE, password=None)
    replica_url = streaming_replica.url(app_url.render_as_string(hide_password=False))
    replica_superuser_url = streaming_replica.url(pg_server_url).replace("+psycopg", "")
    config = {"DATABASE_REPLICA_URLS": (replica_url,), "REPLICA_READ_YOUR_WRITES_SECONDS": 60}
    with scratch_app(pg_server_url, name, config) as app:
        with app.app_context():
            provider = MarketplaceUserFactory(user_type="service_provider", email="seller@replica.test")
            listing = ServiceListingFactory(provider_user=provider, title="Whippet coursing lessons")
            db.session.commit()
            listing_id, email = listing.id, provider.email
            db.session.remove()
        built = ReplicaSite(app, streaming_replica, pg_server_url, replica_superuser_url, listing_id, email)
        built.catch_up()
        yield built


def _new_listing(site: ReplicaSite, title: str, status: str = "active") -> int:
    with site.app.app_context():
        provider = db.session.scalars(
            select(MarketplaceUser).where(MarketplaceUser.email == site.provider_email)
        ).one()
        listing = ServiceListingFactory(provider_user=provider, title=title, status=status)
        db.session.commit()
        listing_id = listing.id
        db.session.remove()
    return listing_id


def _sign_in(client: FlaskClient, email: str) -> None:
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    assert (
        client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token}).status_code
        == 302
    )


def test_public_pages_are_read_from_the_replica(site: ReplicaSite):
    client = site.app.test_client()
    with listing_reads() as reads:
        pages = [client.get(path) for path in ("/", "/listings?q=whippet", f"/listings/{site.listing_id}")]
    for page in pages:
        assert page.status_code == 200
        assert "Whippet coursing lessons" in page.get_data(as_text=True)
    assert reads and all(reads), reads


def test_a_listing_published_on_the_primary_appears_once_the_replica_catches_up(site: ReplicaSite):
    client = site.app.test_client()
    site.pause_replay()
    try:
        listing_id = _new_listing(site, "Saluki lure training")
        with listing_reads() as reads:
            lagging = client.get(f"/listings/{listing_id}")
        # Served by the replica, which has not replayed the new listing yet.
        assert lagging.status_code == 404
        assert reads and all(reads)
    finally:
        site.resume_replay()
    site.catch_up()
    with listing_reads() as reads:
        page = client.get("/listings?q=saluki")
        listing_page = client.get(f"/listings/{listing_id}")
    assert "Saluki lure training" in page.get_data(as_text=True)
    assert listing_page.status_code == 200
    assert reads and all(reads)


def test_the_writer_reads_from_the_primary_just_after_a_write(site: ReplicaSite):
    draft_id = _new_listing(site, "Borzoi conditioning walks", status="draft")
    site.catch_up()
    seller, stranger = site.app.test_client(), site.app.test_client()
    site.pause_replay()
    try:
        _sign_in(seller, site.provider_email)
        with listing_reads() as signed_in_reads:
            assert seller.get("/").status_code == 200
        dashboard = seller.get("/dashboard/listings").get_data(as_text=True)
        published = seller.post(
            f"/dashboard/listings/{draft_id}/publish", data={"csrf_token": csrf_token_from(dashboard)}
        )
        assert published.status_code == 302
        home = seller.get("/").get_data(as_text=True)
        assert seller.post("/logout", data={"csrf_token": csrf_token_from(home)}).status_code == 302

        # Signed out now, but just after writing: the seller reads from the primary and sees the listing live.
        with listing_reads() as writer_reads:
            own = seller.get(f"/listings/{draft_id}")
            search = seller.get("/listings?q=borzoi")
        # Anyone else reads from the replica, which is still behind.
        with listing_reads() as stranger_reads:
            elsewhere = stranger.get(f"/listings/{draft_id}")
    finally:
        site.resume_replay()

    assert signed_in_reads and not any(signed_in_reads)
    assert own.status_code == 200
    assert "Borzoi conditioning walks" in search.get_data(as_text=True)
    assert writer_reads and not any(writer_reads)
    assert elsewhere.status_code == 404
    assert stranger_reads and all(stranger_reads)

    # Once the window is over (the cookie gone), the seller's public reads go back to the replica.
    site.catch_up()
    seller.delete_cookie(COOKIE)
    with listing_reads() as later_reads:
        assert seller.get(f"/listings/{draft_id}").status_code == 200
    assert later_reads and all(later_reads)


def test_stopping_the_replica_leaves_every_page_working(site: ReplicaSite):
    client = site.app.test_client()
    paths = ("/", "/listings?q=whippet", f"/listings/{site.listing_id}")
    for path in paths:  # pooled connections to the replica exist when it goes away
        assert client.get(path).status_code == 200
    replicas: ReplicaSet = site.app.extensions[EXTENSION]
    engine = replicas.replicas[0].engine
    site.replica.stop()
    try:
        with connection_attempts(engine) as attempts, listing_reads() as reads:
            pages = [client.get(path) for path in paths * 2]
        for page in pages:
            assert page.status_code == 200
            assert "Whippet coursing lessons" in page.get_data(as_text=True)
        assert reads and not any(reads)  # all from the primary
        assert len(attempts) <= 1  # the failed replica is skipped, not retried on every request
        assert replicas.is_skipped(replicas.replicas[0])
    finally:
        site.replica.start()
        wait_until_answering(site.replica_superuser_url)
        replicas.replicas[0].skip_until = 0.0
        with site.app.app_context():
            engine.dispose()
    with listing_reads() as reads:
        assert client.get(paths[0]).status_code == 200
    assert reads and all(reads)
