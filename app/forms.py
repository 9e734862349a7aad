"""What every form of both faces shares: text filters, the e-mail and password fields, and one way to answer.

CSRF comes from Flask-WTF. Lengths are capped so an over-long field is a message, not a crash. NUL bytes never
get this far: app.security answers them 400.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from flask import render_template
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, IntegerField, PasswordField
from wtforms.validators import DataRequired, Email, Length

from app.passwords import MAX_LENGTH as PASSWORD_MAX_LENGTH

__all__ = [
    "PASSWORD_MAX_LENGTH",
    "IdempotencyKeyField",
    "WholeNumberField",
    "email_field",
    "multiline_text",
    "normalise_email",
    "password_field",
    "render_form",
    "strip_text",
]

NUMBER_MAX_DIGITS = 15  # far above any count or distance we ask for, far below float's exact range
EMAIL_MAX_LENGTH = 254  # the longest address SMTP can carry (RFC 5321); the columns hold 255
INVALID_FORM_STATUS = 422


def strip_text(value: str | None) -> str:
    return (value or "").strip()


def multiline_text(value: str | None) -> str:
    """A textarea's text: CRLF and CR as one newline each (so lengths count what is stored), trimmed."""
    return (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def normalise_email(value: str | None) -> str:
    return strip_text(value).lower()


def email_field(
    label: str = "E-mail", *, required_message: str = "Enter your e-mail address.", check_format: bool = False
) -> EmailField:
    validators: list[Any] = [
        DataRequired(required_message),
        Length(max=EMAIL_MAX_LENGTH, message=f"Use at most {EMAIL_MAX_LENGTH} characters."),
    ]
    if check_format:
        validators.append(Email("Enter an e-mail address like name@example.com.", check_deliverability=False))
    return EmailField(
        label,
        validators=validators,
        filters=[normalise_email],
        render_kw={"autocomplete": "email", "maxlength": EMAIL_MAX_LENGTH},
    )


def password_field(label: str, autocomplete: str, required_message: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired(required_message),
            Length(max=PASSWORD_MAX_LENGTH, message=f"Use at most {PASSWORD_MAX_LENGTH} characters."),
        ],
        render_kw={"autocomplete": autocomplete, "maxlength": PASSWORD_MAX_LENGTH},
    )


class WholeNumberField(IntegerField):
    """The one number field of every form: at most NUMBER_MAX_DIGITS digits, checked before any conversion.

    WTForms' IntegerField parses any length, and NumberRange then calls math.isnan() on the int, which raises
    OverflowError past float's range (a 310-digit "distance" was a 500). Too many digits is a message instead.
    """

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist:
            raw = str(valuelist[0]).strip()
            if len(raw.lstrip("+-")) > NUMBER_MAX_DIGITS:
                self.data = None
                raise ValueError(f"Enter a number of at most {NUMBER_MAX_DIGITS} digits.")
        super().process_formdata(valuelist)


FORM_KEY_RE = re.compile(r"[A-Za-z0-9_-]{16,64}", re.ASCII)


def new_form_key() -> str:
    return secrets.token_urlsafe(24)


class IdempotencyKeyField(HiddenField):
    """A hidden key, new each time the form is rendered, sent back with the post: the same key twice is the same
    submission (a retry, a double click), which the view answers with what the first one did.

    A missing or malformed key gets a fresh one: the post is then simply a new submission, never an error."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, default=new_form_key, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist and FORM_KEY_RE.fullmatch(str(valuelist[0])):
            self.data = str(valuelist[0])
        elif not self.data:
            self.data = new_form_key()


def render_form(template: str, form: FlaskForm, status: int | None = None, **context: Any) -> tuple[str, int]:
    """The form's page: 200 when first shown, 422 when it comes back invalid, or the `status` of a refusal
    (403, 409, 429) that the view decided on."""
    if status is None:
        status = INVALID_FORM_STATUS if form.is_submitted() else 200
    return render_template(template, form=form, **context), status
