"""Forms of the security pages: a two-factor code, turning two-factor sign-in off, and buttons (CSRF only)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from app.forms import password_field, strip_text
from app.two_factor import CODE_INPUT_MAX


def code_field(label: str = "Code from your app") -> StringField:
    return StringField(
        label,
        filters=[strip_text],
        validators=[
            DataRequired("Enter the 6-digit code from your app, or a recovery code."),
            Length(max=CODE_INPUT_MAX, message="That is longer than any code we issue."),
        ],
        render_kw={"autocomplete": "one-time-code", "inputmode": "text", "maxlength": CODE_INPUT_MAX},
    )


class CodeForm(FlaskForm):
    code = code_field()


class DisableTwoFactorForm(FlaskForm):
    password = password_field("Your password", "current-password", "Enter your password.")
    code = code_field()


class ButtonForm(FlaskForm):
    """A state-changing button: a POST with the CSRF token and nothing else."""
