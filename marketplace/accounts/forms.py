"""Forms for marketplace accounts. Password strength uses the rules the portal uses (app.passwords)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from app.forms import email_field, password_field, strip_text
from app.passwords import password_problems
from models import UserType

USER_TYPE_CHOICES = [
    SelectChoice(UserType.BUYER, "I am looking for services"),
    SelectChoice(UserType.SERVICE_PROVIDER, "I provide services"),
    SelectChoice(UserType.BOTH, "Both"),
]


class LoginForm(FlaskForm):
    email = email_field()
    password = password_field("Password", "current-password", "Enter your password.")


class NewPasswordMixin:
    def validate_password(self, field: PasswordField) -> None:
        problems = password_problems(field.data or "", self.password_context())
        if problems:
            raise ValidationError(problems[0])

    def password_context(self) -> list[str]:
        return []


class RegisterForm(NewPasswordMixin, FlaskForm):
    email = email_field(check_format=True)
    password = PasswordField("Password", validators=[DataRequired("Choose a password.")])
    first_name = StringField(
        "First name",
        filters=[strip_text],
        validators=[DataRequired("Enter your first name."), Length(max=100)],
    )
    last_name = StringField(
        "Last name", filters=[strip_text], validators=[DataRequired("Enter your last name."), Length(max=100)]
    )
    user_type = RadioField("I am joining as", choices=USER_TYPE_CHOICES, default=UserType.BUYER)

    def password_context(self) -> list[str]:
        return [self.email.data or "", self.first_name.data or "", self.last_name.data or ""]


class ForgotPasswordForm(FlaskForm):
    email = email_field()


class ResetPasswordForm(NewPasswordMixin, FlaskForm):
    password = PasswordField("New password", validators=[DataRequired("Choose a new password.")])


class ConfirmForm(FlaskForm):
    """A button with CSRF only: verifying an address changes state, so it is a POST, not the GET of the link."""
