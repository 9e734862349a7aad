"""Too many sign-in or reset attempts answer 429 with a friendly page."""

from __future__ import annotations

from tests.factories import PASSWORD
from tests.portal.conftest import PortalWorld

WRONG = "not-the-password-1"


def _post_login(client, csrf_token: str, email: str, password: str, ip: str = "203.0.113.9"):
    return client.post(
        "/portal/sunny/login",
        data={"email": email, "password": password, "csrf_token": csrf_token},
        environ_base={"REMOTE_ADDR": ip},
    )


def test_repeated_sign_in_attempts_for_one_email_are_throttled(world: PortalWorld, client, csrf):
    token = csrf()
    answers = [_post_login(client, token, "client@example.test", WRONG).status_code for _ in range(11)]

    assert answers[:10] == [422] * 10
    assert answers[10] == 429


def test_throttled_answer_is_a_friendly_page(world: PortalWorld, client, csrf):
    token = csrf()
    for _ in range(10):
        _post_login(client, token, "client@example.test", WRONG)

    response = _post_login(client, token, "client@example.test", PASSWORD)

    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_throttling_does_not_reveal_whether_the_account_exists(world: PortalWorld, client, csrf):
    token = csrf()
    known = [_post_login(client, token, "client@example.test", WRONG).status_code for _ in range(11)]
    unknown = [_post_login(client, token, "nobody@example.test", WRONG).status_code for _ in range(11)]

    assert known == unknown


def test_one_address_trying_many_emails_is_throttled(world: PortalWorld, client, csrf):
    token = csrf()
    answers = [_post_login(client, token, f"guess{n}@example.test", WRONG).status_code for n in range(31)]

    assert 429 not in answers[:30]
    assert answers[30] == 429


def test_an_account_takes_at_most_a_hundred_failed_attempts_an_hour_from_any_address(
    world: PortalWorld, client, csrf
):
    token = csrf()
    for n in range(100):
        assert (
            _post_login(
                client, token, "client@example.test", WRONG, ip=f"10.0.{n // 250}.{n % 250}"
            ).status_code
            == 422
        )

    blocked = _post_login(client, token, "client@example.test", PASSWORD, ip="198.51.100.1")
    other_breeder = client.post(
        "/portal/river/login",
        data={"email": "client@example.test", "password": PASSWORD, "csrf_token": token},
        environ_base={"REMOTE_ADDR": "198.51.100.1"},
    )

    assert blocked.status_code == 429
    assert other_breeder.status_code == 302


def test_successful_sign_ins_do_not_count_as_failed_attempts(world: PortalWorld, client, csrf, app):
    token = csrf()
    for n in range(100):
        ip = f"10.1.{n // 250}.{n % 250}"
        assert _post_login(client, token, "client@example.test", PASSWORD, ip=ip).status_code == 302
        token = csrf()

    assert _post_login(client, token, "client@example.test", PASSWORD, ip="198.51.100.2").status_code == 302


def test_reset_requests_are_throttled_the_same_for_known_and_unknown_emails(world: PortalWorld, client, csrf):
    def ask(email: str) -> int:
        return client.post(
            "/portal/sunny/forgot-password", data={"email": email, "csrf_token": token}
        ).status_code

    token = csrf()
    known = [ask("client@example.test") for _ in range(4)]
    unknown = [ask("nobody@example.test") for _ in range(4)]

    assert known == unknown == [302, 302, 302, 429]
