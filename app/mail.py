"""Outgoing mail: SMTP when MAIL_SERVER is set, otherwise the log (so development needs no mail server).
In production the log never carries a link: invitation, reset and verification links are keys to accounts.

The words of each e-mail live in `templates/email/<name>.txt`, a plain-text Jinja template with two blocks:
`{% block subject %}` (one header line: line breaks in it, user text included, become spaces) and
`{% block body %}`. `send_template(to, name, **context)` renders both and sends them. Flask autoescapes only
.html/.htm/.xml/.xhtml/.svg, so a .txt mail says "Tom & Jerry", never "Tom &amp; Jerry". Ages and intervals
are rendered from the settings they describe with the `duration` filter (app.templating.format_duration).
"""

from __future__ import annotations

import logging
import re
import smtplib
from email.message import EmailMessage
from typing import Any

from flask import current_app
from jinja2_fragments.flask import render_block

log = logging.getLogger("app.mail")
LINK_RE = re.compile(r"https?://\S+", re.IGNORECASE)
REDACTED_LINK = "[link removed from the log]"


def _one_line(value: str) -> str:
    # Subjects carry user text (a thread subject, a name). A header cannot hold a line break: the message
    # would be refused (and a raw one would let the text add headers), so breaks become spaces.
    return " ".join(value.split())


def send_mail(to: str, subject: str, body: str) -> None:
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = _one_line(to)
    message["Subject"] = _one_line(subject)
    message.set_content(body)

    if config.get("MAIL_BACKEND", "log") == "log" or not config.get("MAIL_SERVER"):
        logged_body = LINK_RE.sub(REDACTED_LINK, body) if config.get("PRODUCTION") else body
        log.info(
            "mail (no MAIL_SERVER set, logged instead)\nTo: %s\nSubject: %s\n\n%s", to, subject, logged_body
        )
        if current_app.testing:
            current_app.extensions.setdefault("outbox", []).append(message)
        return
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)


def send_template(to: str, name: str, **context: Any) -> None:
    """Send `templates/email/<name>.txt`, its subject and body rendered with `context`."""
    template = f"email/{name}.txt"
    send_mail(to, render_block(template, "subject", **context), render_block(template, "body", **context))
