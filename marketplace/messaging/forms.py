"""Forms for writing messages. CSRF comes from Flask-WTF (a form field, or the X-CSRFToken header for htmx)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from app.forms import IdempotencyKeyField
from app.uploads import chosen_files

MESSAGE_MAX_CHARS = 5000
SUBJECT_MAX_CHARS = 255


def _normalize_text(value: str | None) -> str:
    # Browsers send textarea line breaks as CRLF; count and store each as one character.
    return (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()


class MessageForm(FlaskForm):
    # A form posted twice (a retry, a double click) stores one message: marketplace/messaging/sending.py.
    idempotency_key = IdempotencyKeyField()
    body = TextAreaField(
        "Message",
        filters=[_normalize_text],
        validators=[
            DataRequired("Write a message first."),
            Length(
                max=MESSAGE_MAX_CHARS,
                message=f"A message can be at most {MESSAGE_MAX_CHARS:,} characters long.",
            ),
        ],
    )


class ReplyForm(MessageForm):
    """A reply in a thread: text, files (marketplace/messaging/attachments.py), or both."""

    body = TextAreaField(
        "Message",
        filters=[_normalize_text],
        validators=[
            Length(
                max=MESSAGE_MAX_CHARS,
                message=f"A message can be at most {MESSAGE_MAX_CHARS:,} characters long.",
            ),
        ],
    )
    attachments = MultipleFileField("Attach files")

    def validate_body(self, field: TextAreaField) -> None:
        if not field.data and not chosen_files(self.attachments.data or []):
            raise ValidationError("Write a message first.")


class NewConversationForm(MessageForm):
    subject = StringField(
        "Subject",
        filters=[lambda value: (value or "").strip()],
        validators=[
            Length(
                max=SUBJECT_MAX_CHARS,
                message=f"A subject can be at most {SUBJECT_MAX_CHARS} characters long.",
            )
        ],
    )
