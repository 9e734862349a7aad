"""Portal account forms: sign in, forgot password, set (invite or reset) and change the password."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField
from wtforms.validators import EqualTo

from app.forms import PASSWORD_MAX_LENGTH, email_field, password_field


class LoginForm(FlaskForm):
    email = email_field()
    password = password_field("Password", "current-password", "Enter your password.")
    next = HiddenField()


class ForgotPasswordForm(FlaskForm):
    email = email_field()


class SetPasswordForm(FlaskForm):
    password = password_field("New password", "new-password", "Choose a password.")
    confirm = PasswordField(
        "Repeat the new password",
        validators=[EqualTo("password", message="The two passwords do not match.")],
        render_kw={"autocomplete": "new-password", "maxlength": PASSWORD_MAX_LENGTH},
    )


class ChangePasswordForm(SetPasswordForm):
    current_password = password_field("Current password", "current-password", "Enter your current password.")
