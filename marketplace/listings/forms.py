"""The seller's listing form, with every rule the issue lists. Categories, states and price types come from
marketplace.catalog, the one place that defines them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from app.extensions import db
from app.forms import WholeNumberField, strip_text
from app.money import MoneyError, parse_dollars
from marketplace.catalog import CATEGORIES, PRICE_TYPES, US_STATES
from models import PriceType, ServiceListing, ZipCentroid

MAX_TAGS = 10
MAX_TAG_LENGTH = 30
ZIP_RE = r"^\d{5}(-\d{4})?$"


def _choices(options: dict[str, str], prompt: str) -> list[SelectChoice]:
    return [SelectChoice("", prompt)] + [SelectChoice(key, label) for key, label in options.items()]


def split_tags(raw: str | None) -> list[str]:
    tags: list[str] = []
    for part in (raw or "").split(","):
        tag = " ".join(part.split())
        if tag and tag.lower() not in (existing.lower() for existing in tags):
            tags.append(tag)
    return tags


def is_web_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not any(c.isspace() for c in url)


class ListingForm(FlaskForm):
    title = StringField(
        "Title",
        filters=[strip_text],
        validators=[
            DataRequired("Give the listing a title."),
            Length(max=255, message="Use at most 255 characters."),
        ],
    )
    description = TextAreaField(
        "Description",
        filters=[strip_text],
        validators=[
            DataRequired("Describe the service."),
            Length(max=20_000, message="Use at most 20,000 characters."),
        ],
    )
    category = SelectField("Category", choices=_choices(CATEGORIES, "Choose a category"))
    price_type = SelectField("Price type", choices=_choices(PRICE_TYPES, "Choose how you charge"))
    price = StringField("Price (USD)", filters=[strip_text])
    city = StringField("City", filters=[strip_text], validators=[Optional(), Length(max=100)])
    state = SelectField("State", choices=_choices(US_STATES, "Choose a state"))
    zip_code = StringField(
        "ZIP code",
        filters=[strip_text],
        validators=[
            DataRequired("Enter the ZIP code where you are based."),
            Regexp(ZIP_RE, flags=re.ASCII, message="Enter a 5-digit ZIP code, like 78701 or 78701-1234."),
        ],
    )
    service_area_miles = WholeNumberField(
        "Service area (miles)",
        validators=[Optional(), NumberRange(min=0, max=500, message="Enter a distance from 0 to 500 miles.")],
    )
    tags = StringField("Tags", filters=[strip_text])

    price_cents: int | None = None

    def validate_category(self, field: SelectField) -> None:
        if field.data not in CATEGORIES:
            raise ValidationError("Choose a category from the list.")

    def validate_state(self, field: SelectField) -> None:
        if field.data not in US_STATES:
            raise ValidationError("Choose a US state from the list.")

    def validate_zip_code(self, field: StringField) -> None:
        if field.errors:
            return
        if db.session.get(ZipCentroid, field.data[:5]) is None:
            raise ValidationError(
                f"We don't know the ZIP code {field.data[:5]}. Check it: buyers who search near a ZIP code "
                "find listings by theirs."
            )

    def validate_price_type(self, field: SelectField) -> None:
        if field.data not in PRICE_TYPES:
            raise ValidationError("Choose how you charge.")

    def validate_price(self, field: StringField) -> None:
        self.price_cents = None
        if self.price_type.data == PriceType.QUOTE:
            if field.data:
                raise ValidationError("A quote has no price: leave this empty, or choose another price type.")
            return
        if not field.data:
            raise ValidationError("Enter a price in dollars, like 45 or 45.50.")
        try:
            self.price_cents = parse_dollars(field.data)
        except MoneyError as error:
            raise ValidationError(str(error)) from error

    def validate_tags(self, field: StringField) -> None:
        tags = split_tags(field.data)
        if len(tags) > MAX_TAGS:
            raise ValidationError(f"Use at most {MAX_TAGS} tags.")
        too_long = [tag for tag in tags if len(tag) > MAX_TAG_LENGTH]
        if too_long:
            raise ValidationError(
                f"Keep each tag to {MAX_TAG_LENGTH} characters: “{too_long[0][:40]}” is longer."
            )

    def fill_from(self, listing: ServiceListing) -> None:
        """Show a saved listing in the form (GET of the edit page)."""
        self.title.data = listing.title
        self.description.data = listing.description
        self.category.data = listing.category
        self.price_type.data = listing.price_type
        self.price.data = ""
        if listing.price_cents is not None:
            whole, cents = divmod(listing.price_cents, 100)
            self.price.data = f"{whole}.{cents:02d}"
        self.city.data = listing.city
        self.state.data = listing.state
        self.zip_code.data = listing.zip_code
        self.service_area_miles.data = listing.service_area_miles
        self.tags.data = ", ".join(listing.tags or [])

    def apply_to(self, listing: ServiceListing) -> None:
        listing.title = self.title.data
        listing.description = self.description.data
        listing.category = self.category.data
        listing.price_type = self.price_type.data
        listing.price_cents = self.price_cents
        listing.currency = "USD"
        listing.city = self.city.data or None
        listing.state = self.state.data
        listing.zip_code = self.zip_code.data
        listing.service_area_miles = self.service_area_miles.data
        listing.tags = split_tags(self.tags.data)


# --- the photos page's "Save order" form -------------------------------------------------------------------


class PositionsInvalid(ValueError):
    """A position number that is not one of 1..N."""


def parse_positions(form: Mapping[str, str], ids: list[str]) -> dict[str, int]:
    """{item id: new position} from the `position-<id>` fields; an empty field keeps the item's place."""
    positions: dict[str, int] = {}
    for item_id in ids:
        raw = (form.get(f"position-{item_id}") or "").strip()
        if not raw:
            continue
        if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= len(ids)):
            raise PositionsInvalid(f"Positions are numbers from 1 to {len(ids)}: “{raw[:20]}” is not one.")
        positions[item_id] = int(raw)
    return positions


def parse_move(raw: str | None) -> tuple[str, int] | None:
    """The "Move up"/"Move down" button pressed, as (item id, -1 or +1)."""
    item_id, _, direction = (raw or "").rpartition(":")
    if item_id and direction in ("up", "down"):
        return item_id, -1 if direction == "up" else 1
    return None
