"""The review, reply and report forms. Only what a person chooses comes from a form: the stars, the text, a reason.
Which sale, provider and breeder a review is about is read from the sale by the server (marketplace.reviews.writing).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from app.forms import multiline_text
from marketplace.limits import REVIEW_REPLY_MAX_CHARS, REVIEW_TEXT_MAX_CHARS
from models import ReportReason
from models.reviews import HIGHEST_RATING

STAR_LABELS = {5: "Excellent", 4: "Good", 3: "Fair", 2: "Poor", 1: "Terrible"}
REPORT_REASONS = {
    ReportReason.OFFENSIVE: "It is offensive, hateful or threatening",
    ReportReason.PERSONAL_INFORMATION: "It shares someone's private information",
    ReportReason.NOT_ABOUT_THE_SERVICE: "It is not about the service that was sold",
    ReportReason.SPAM: "It is spam or advertising",
    ReportReason.OTHER: "Something else breaks the rules",
}
CHOOSE_STARS = f"Choose from 1 to {HIGHEST_RATING} stars."


def _text_field(label: str, max_chars: int, required: str) -> TextAreaField:
    return TextAreaField(
        label,
        filters=[multiline_text],
        validators=[
            DataRequired(required),
            Length(max=max_chars, message=f"Use at most {max_chars:,} characters."),
        ],
        render_kw={"maxlength": max_chars, "rows": 6},
    )


@dataclass(frozen=True)
class ReviewDetails:
    """What a valid review form says (also what the demo data writes)."""

    rating: int
    text: str


class ReviewForm(FlaskForm):
    rating = RadioField(
        "Your rating",
        choices=[
            SelectChoice(str(stars), f"{stars} {'star' if stars == 1 else 'stars'}: {label}")
            for stars, label in STAR_LABELS.items()
        ],
        validate_choice=False,  # validate_rating says what is wrong in words
    )
    text = _text_field("Your review", REVIEW_TEXT_MAX_CHARS, "Write a few words about the service.")

    def validate_rating(self, field: RadioField) -> None:
        raw = (field.data or "").strip()
        if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= HIGHEST_RATING):
            raise ValidationError(CHOOSE_STARS)

    def details(self) -> ReviewDetails:
        """Only after validate_on_submit()."""
        return ReviewDetails(rating=int(self.rating.data), text=self.text.data)


class ReplyForm(FlaskForm):
    text = _text_field("Your public reply", REVIEW_REPLY_MAX_CHARS, "Write your reply first.")


class ReportForm(FlaskForm):
    reason = RadioField(
        "What is wrong with this review?",
        choices=[SelectChoice(reason.value, label) for reason, label in REPORT_REASONS.items()],
        validate_choice=False,
    )

    def validate_reason(self, field: RadioField) -> None:
        if field.data not in set(ReportReason):
            raise ValidationError("Choose a reason from the list.")
