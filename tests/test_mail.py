"""E-mail templates: subject and body from templates/email/<name>.txt, plain text, durations in words."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from app.mail import send_template
from app.templating import format_duration


@pytest.mark.parametrize(
    ("duration", "words"),
    [
        (timedelta(days=3), "3 days"),
        (timedelta(days=7), "7 days"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(minutes=15), "15 minutes"),
        (timedelta(minutes=90), "90 minutes"),
        (timedelta(hours=36), "36 hours"),
        (timedelta(seconds=1), "1 second"),
    ],
)
def test_a_duration_is_said_in_the_largest_unit_that_is_exact(duration, words):
    assert format_duration(duration) == words


def test_a_plain_text_mail_is_not_html_escaped(app):
    app.extensions["outbox"] = []
    sender = "Tom & Jerry <tj@example.test>"
    notification = SimpleNamespace(sender_name=sender, subject="Puppies > kittens & more")
    send_template(
        "to@example.test",
        "marketplace_new_message",
        notification=notification,
        excerpt="1 < 2 & \"quoted\" 'too'",
        link="https://breeders.example/messages/1",
        interval=timedelta(minutes=15),
    )
    [mail] = app.extensions["outbox"]
    assert mail["Subject"] == f"New message from {sender}: Puppies > kittens & more"
    body = mail.get_content()
    assert f"{sender} sent you a message about “Puppies > kittens & more”" in body
    assert "1 < 2 & \"quoted\" 'too'" in body
    assert "&amp;" not in body and "&lt;" not in body and "&#34;" not in body


def test_a_subject_rendered_from_user_text_stays_one_header_line(app):
    app.extensions["outbox"] = []
    tenant = SimpleNamespace(name="Sunny\r\nBcc: everyone@example.test")
    contact = SimpleNamespace(display_name="Casey")
    send_template(
        "to@example.test",
        "portal_reset_password",
        contact=contact,
        tenant=tenant,
        link="https://breeders.example/x",
        valid_for=timedelta(hours=1),
    )
    [mail] = app.extensions["outbox"]
    assert mail["Bcc"] is None
    assert mail["Subject"] == "Choose a new password for the Sunny Bcc: everyone@example.test client portal"
