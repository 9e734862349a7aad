"""Revision 0018: sign-in sessions and two-factor credentials. Each row belongs to exactly one account; a token
hash is recorded once; an account has at most one TOTP credential and a recovery code once per credential; an
account's rows go with it; up, down and up again keep every account."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from psycopg import errors

from tests.schema.conftest import ScratchDatabase, refused, seeded_connection

BEFORE = "0017_listing_search_category"
REVISION = "0018_sign_in_sessions_two_factor"

ACCOUNTS = """
INSERT INTO "Tenant" (id, name, slug, "updatedAt") VALUES (1, 'Sunny Acres', 'sunny-acres', now());
INSERT INTO "Party" (id, "tenantId", type, name, "updatedAt") VALUES (1, 1, 'person', 'Casey', now());
INSERT INTO "Contact" (id, "tenantId", "partyId", "firstName", "lastName", email, "portalEnabled", "updatedAt")
VALUES (1, 1, 1, 'Casey', 'Client', 'client@example.test', true, now());
INSERT INTO "MarketplaceUser" (id, email, password_hash, user_type) VALUES (1, 'buyer@example.test', 'x', 'buyer');
"""


def _session(token: str, contact: str = "1", user: str = "NULL") -> str:
    return (
        'INSERT INTO "SignInSession" (token_hash, contact_id, marketplace_user_id, credential_fingerprint) '
        f"VALUES ('{token}', {contact}, {user}, 'fp')"
    )


@pytest.fixture
def conn(head_db) -> Iterator[psycopg.Connection]:
    with seeded_connection(head_db, ACCOUNTS) as connection:
        yield connection


def test_a_session_belongs_to_exactly_one_account(conn):
    conn.execute(_session("a"))
    conn.execute(_session("b", contact="NULL", user="1"))
    for contact, user in (("NULL", "NULL"), ("1", "1")):
        error = refused(conn, _session("c", contact, user), errors.CheckViolation)
        assert error.diag.constraint_name == "SignInSession_one_account_check"


def test_a_token_hash_is_recorded_once(conn):
    conn.execute(_session("same"))
    error = refused(conn, _session("same", contact="NULL", user="1"), errors.UniqueViolation)
    assert error.diag.constraint_name == "SignInSession_token_hash_key"


def test_an_ended_session_says_why(conn):
    sql = _session("d").replace("credential_fingerprint)", "credential_fingerprint, ended_at)")
    error = refused(conn, sql.replace("'fp')", "'fp', now())"), errors.CheckViolation)
    assert error.diag.constraint_name == "SignInSession_ended_with_reason_check"
    unknown = _session("e").replace(
        "credential_fingerprint)", "credential_fingerprint, ended_at, ended_reason)"
    )
    error = refused(conn, unknown.replace("'fp')", "'fp', now(), 'bored')"), errors.CheckViolation)
    assert error.diag.constraint_name == "SignInSession_ended_reason_check"


def test_one_credential_per_account_and_each_recovery_code_once(conn):
    conn.execute("INSERT INTO \"TwoFactorCredential\" (id, contact_id, secret) VALUES (1, 1, 'S')")
    error = refused(
        conn,
        "INSERT INTO \"TwoFactorCredential\" (id, contact_id, secret) VALUES (2, 1, 'T')",
        errors.UniqueViolation,
    )
    assert error.diag.constraint_name == "TwoFactorCredential_contact_id_key"
    conn.execute("INSERT INTO \"TwoFactorRecoveryCode\" (credential_id, code_hash) VALUES (1, 'h')")
    error = refused(
        conn,
        "INSERT INTO \"TwoFactorRecoveryCode\" (credential_id, code_hash) VALUES (1, 'h')",
        errors.UniqueViolation,
    )
    assert error.diag.constraint_name == "TwoFactorRecoveryCode_credential_id_code_hash_key"


def test_an_accounts_sessions_and_credentials_go_with_it(conn):
    conn.execute(_session("f", contact="NULL", user="1"))
    conn.execute("INSERT INTO \"TwoFactorCredential\" (id, marketplace_user_id, secret) VALUES (2, 1, 'S')")
    conn.execute("INSERT INTO \"TwoFactorRecoveryCode\" (credential_id, code_hash) VALUES (2, 'h')")

    conn.execute('DELETE FROM "MarketplaceUser" WHERE id = 1')

    counts = conn.execute(
        'SELECT (SELECT count(*) FROM "SignInSession"), (SELECT count(*) FROM "TwoFactorCredential"), '
        '(SELECT count(*) FROM "TwoFactorRecoveryCode")'
    ).fetchone()
    assert counts == (0, 0, 0)


def test_up_down_up_keeps_every_account(scratch_db):
    database: ScratchDatabase = scratch_db()
    database.upgrade(BEFORE)
    database.execute(ACCOUNTS)
    accounts = (
        'SELECT id, email FROM "Contact" UNION ALL SELECT id, email FROM "MarketplaceUser" ORDER BY 1, 2'
    )
    before = database.execute(accounts)

    database.upgrade(REVISION)
    database.execute(_session("g"))
    database.execute(
        "INSERT INTO \"TwoFactorCredential\" (id, marketplace_user_id, secret) VALUES (1, 1, 'S')"
    )
    database.execute("INSERT INTO \"TwoFactorRecoveryCode\" (credential_id, code_hash) VALUES (1, 'h')")
    assert database.execute(accounts) == before

    database.downgrade(BEFORE)
    assert database.execute(accounts) == before
    for table in ("SignInSession", "TwoFactorCredential", "TwoFactorRecoveryCode"):
        assert database.execute(f"SELECT to_regclass('\"{table}\"')") == [(None,)]

    database.upgrade(REVISION)
    assert database.execute('SELECT count(*) FROM "SignInSession"') == [(0,)]
    database.execute(_session("g"))
    assert database.execute(accounts) == before
