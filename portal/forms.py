"""Portal forms. CSRF comes from Flask-WTF; lengths are capped so an over-long field is a message, not a crash."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from app.form_filters import strip_text
from app.passwords import MAX_LENGTH

EMAIL_MAX = 254


def _email_field() -> EmailField:
    return EmailField(
        "E-mail",
        validators=[
            DataRequired("Enter your e-mail address."),
            Length(max=EMAIL_MAX, message=f"Use at most {EMAIL_MAX} characters."),
        ],
        filters=[strip_text],
        render_kw={"autocomplete": "email", "maxlength": EMAIL_MAX},
    )


def _password_field(label: str, autocomplete: str, message: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired(message),
            Length(max=MAX_LENGTH, message=f"Use at most {MAX_LENGTH} characters."),
        ],
        render_kw={"autocomplete": autocomplete, "maxlength": MAX_LENGTH},
    )


class LoginForm(FlaskForm):
    email = _email_field()
    password = _password_field("Password", "current-password", "Enter your password.")
    next = HiddenField()


class ForgotPasswordForm(FlaskForm):
    email = _email_field()


class SetPasswordForm(FlaskForm):
    password = _password_field("New password", "new-password", "Choose a password.")
    confirm = PasswordField(
        "Repeat the new password",
        validators=[EqualTo("password", message="The two passwords do not match.")],
        render_kw={"autocomplete": "new-password", "maxlength": MAX_LENGTH},
    )


class ChangePasswordForm(SetPasswordForm):
    current_password = _password_field("Current password", "current-password", "Enter your current password.")
