"""Forms for marketplace accounts. Password strength uses the rules the portal uses (app.passwords)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, ValidationError

from app.form_filters import strip_text
from app.passwords import MAX_LENGTH, password_problems

USER_TYPE_CHOICES = [
    SelectChoice("buyer", "I am looking for services"),
    SelectChoice("service_provider", "I provide services"),
    SelectChoice("both", "Both"),
]


def _normalise_email(value: str | None) -> str:
    return strip_text(value).lower()


class LoginForm(FlaskForm):
    email = EmailField("E-mail", filters=[_normalise_email], validators=[DataRequired(), Length(max=255)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=MAX_LENGTH)])


class NewPasswordMixin:
    def validate_password(self, field: PasswordField) -> None:
        problems = password_problems(field.data or "", self.password_context())
        if problems:
            raise ValidationError(problems[0])

    def password_context(self) -> list[str]:
        return []


class RegisterForm(NewPasswordMixin, FlaskForm):
    email = EmailField(
        "E-mail",
        filters=[_normalise_email],
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=255)],
    )
    password = PasswordField("Password", validators=[DataRequired()])
    first_name = StringField("First name", filters=[strip_text], validators=[DataRequired(), Length(max=100)])
    last_name = StringField("Last name", filters=[strip_text], validators=[DataRequired(), Length(max=100)])
    user_type = RadioField("I am joining as", choices=USER_TYPE_CHOICES, default="buyer")

    def password_context(self) -> list[str]:
        return [self.email.data or "", self.first_name.data or "", self.last_name.data or ""]


class ForgotPasswordForm(FlaskForm):
    email = EmailField("E-mail", filters=[_normalise_email], validators=[DataRequired(), Length(max=255)])


class ResetPasswordForm(NewPasswordMixin, FlaskForm):
    password = PasswordField("New password", validators=[DataRequired()])


class ConfirmForm(FlaskForm):
    """A button with CSRF only: verifying an address changes state, so it is a POST, not the GET of the link."""
