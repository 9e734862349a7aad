"""The "Record a sale" forms (in a conversation, and on the dashboard with a client) and the sales list's filters.

One form class holds the amount, date, payment method and notes rules; the dashboard's form adds the client.
Money is parsed by app.money (Decimal, whole cents); a party is looked up in the bound tenant only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.forms import strip_text
from app.money import MoneyError, parse_dollars
from models import Party, TransactionStatus
from models.types import INT4_MAX

PAYMENT_METHODS = {
    "card": "Card",
    "cash": "Cash",
    "check": "Check",
    "bank_transfer": "Bank transfer",
    "other": "Other",
}
DESCRIPTION_MAX_CHARS = 500
CLIENT_DESCRIPTION_MAX_CHARS = 500
NOTES_MAX_CHARS = 2000
EARLIEST_SALE_DATE = date(2000, 1, 1)
LATEST_SALE_DAYS_AHEAD = 365


def _one_line(value: str | None) -> str:
    return " ".join((value or "").split())


def _multiline(value: str | None) -> str:
    return (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def _party_id(value: object) -> int | None:
    """The submitted party id as an INTEGER-sized number, or None (empty, not a number, out of range)."""
    text = str(value or "").strip()
    if not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    return number if 0 < number <= INT4_MAX else None


@dataclass(frozen=True)
class SaleDetails:
    """What a valid sale form says (also what the demo data records)."""

    amount_cents: int
    description: str
    transaction_date: date
    payment_method: str | None = None
    notes: str | None = None


class SaleForm(FlaskForm):
    amount = StringField("Amount (USD)", filters=[strip_text])
    description = StringField(
        "Description",
        filters=[_one_line],
        validators=[
            DataRequired("Describe what was sold."),
            Length(max=DESCRIPTION_MAX_CHARS, message=f"Use at most {DESCRIPTION_MAX_CHARS} characters."),
        ],
    )
    # An unreadable date leaves no data, so DataRequired's message replaces the field's own.
    transaction_date = DateField(
        "Date", validators=[DataRequired("Enter the date of the sale, like 2026-11-27.")]
    )
    payment_method = SelectField(
        "Payment method",
        choices=[SelectChoice("", "Not recorded")] + [SelectChoice(k, v) for k, v in PAYMENT_METHODS.items()],
        validate_choice=False,
    )
    notes = TextAreaField(
        "Notes",
        filters=[_multiline],
        validators=[
            Optional(),
            Length(max=NOTES_MAX_CHARS, message=f"Use at most {NOTES_MAX_CHARS:,} characters."),
        ],
    )

    amount_cents: int | None = None

    def validate_amount(self, field: StringField) -> None:
        try:
            self.amount_cents = parse_dollars(field.data[:60], allow_zero=False)
        except MoneyError as error:
            raise ValidationError(str(error)) from error

    def validate_transaction_date(self, field: DateField) -> None:
        latest = date.today() + timedelta(days=LATEST_SALE_DAYS_AHEAD)
        if not EARLIEST_SALE_DATE <= field.data <= latest:
            raise ValidationError(
                f"Enter a date from {EARLIEST_SALE_DATE:%b %-d, %Y} to {latest:%b %-d, %Y} (a year from today)."
            )

    def validate_payment_method(self, field: SelectField) -> None:
        if field.data and field.data not in PAYMENT_METHODS:
            raise ValidationError("Choose a payment method from the list.")

    def details(self) -> SaleDetails:
        """Only after validate_on_submit()."""
        assert self.amount_cents is not None
        return SaleDetails(
            amount_cents=self.amount_cents,
            description=self.description.data,
            transaction_date=self.transaction_date.data,
            payment_method=self.payment_method.data or None,
            notes=self.notes.data or None,
        )

    def fill_defaults(self, description: str | None) -> None:
        """What a fresh form shows: the listing's title, today."""
        self.description.data = (description or "")[:DESCRIPTION_MAX_CHARS]
        self.transaction_date.data = date.today()


class NewSaleForm(SaleForm):
    """A sale with no conversation: the client is one of the breeder's parties, or described in words."""

    client_party_id = SelectField("Client", validate_choice=False)
    client_description = StringField(
        "Or describe the client",
        filters=[_one_line],
        validators=[
            Length(
                max=CLIENT_DESCRIPTION_MAX_CHARS,
                message=f"Use at most {CLIENT_DESCRIPTION_MAX_CHARS} characters.",
            )
        ],
    )

    party: Party | None = None

    def offer_parties(self, parties: list[tuple[int, str]]) -> None:
        self.client_party_id.choices = [SelectChoice("", "Choose a client")] + [
            SelectChoice(str(party_id), name) for party_id, name in parties
        ]

    def validate_client_party_id(self, field: SelectField) -> None:
        from marketplace.sales.queries import tenant_party_or_none

        chosen = bool(field.data)
        described = bool(self.client_description.data)
        if chosen == described:
            raise ValidationError("Choose a client from the list or describe the client (one of the two).")
        if chosen:
            party_id = _party_id(field.data)
            self.party = tenant_party_or_none(party_id) if party_id is not None else None
            if self.party is None:
                raise ValidationError("Choose a client from the list.")


# --- refunds ---------------------------------------------------------------------------------------------------

REFUND_KEY_RE = re.compile(r"[A-Za-z0-9_-]{16,64}", re.ASCII)
AMOUNT_MAX_CHARS = 32


class RefundForm(FlaskForm):
    """A refund by card from the sales list: how much, and the form's idempotency key (a new one each time the
    list is shown, so submitting one form twice refunds once, while a second refund later is a new form)."""

    amount = StringField("Refund (USD)", filters=[strip_text])
    refund_key = HiddenField()

    amount_cents: int | None = None

    def validate_amount(self, field: StringField) -> None:
        if len(field.data or "") > AMOUNT_MAX_CHARS:
            raise ValidationError("Enter an amount in dollars, like 45 or 45.50.")
        try:
            self.amount_cents = parse_dollars(field.data or "", allow_zero=False)
        except MoneyError as error:
            raise ValidationError(str(error)) from error

    def validate_refund_key(self, field: HiddenField) -> None:
        if not REFUND_KEY_RE.fullmatch(field.data or ""):
            raise ValidationError("This form has expired. Reload the sales list and try again.")

    def first_error(self) -> str:
        return next(iter(error for errors in self.errors.values() for error in errors))


# --- the sales list's filters ----------------------------------------------------------------------------------

MONTH_RE = re.compile(r"\d{4}-\d{2}", re.ASCII)
CURSOR_RE = re.compile(r"(\d{4}-\d{2}-\d{2}),(\d{1,10})", re.ASCII)


@dataclass(frozen=True)
class SalesFilter:
    status: str | None = None
    month: date | None = None  # its first day
    after: tuple[date, int] | None = None  # keyset cursor: the last row of the previous page
    notes: list[str] = field(default_factory=list)

    def args(self, **extra: object) -> dict[str, object]:
        """The query-string arguments that reproduce these filters (for links, the CSV and the next page)."""
        values: dict[str, object] = {
            "status": self.status,
            "month": f"{self.month:%Y-%m}" if self.month else None,
        }
        values.update(extra)
        return {key: value for key, value in values.items() if value}


def _month(raw: str) -> date | None:
    if not MONTH_RE.fullmatch(raw):
        return None
    year, month = int(raw[:4]), int(raw[5:])
    if not 1 <= month <= 12 or not EARLIEST_SALE_DATE.year <= year <= 9998:
        return None
    return date(year, month, 1)


def _cursor(raw: str) -> tuple[date, int] | None:
    match = CURSOR_RE.fullmatch(raw)
    if not match:
        return None
    try:
        day = date.fromisoformat(match.group(1))
    except ValueError:
        return None
    row_id = int(match.group(2))
    return (day, row_id) if 0 < row_id <= INT4_MAX else None


def parse_sales_filter(args) -> SalesFilter:
    """The list's filters from the query string; a bad value is dropped with a note, never an error."""
    notes: list[str] = []
    status = (args.get("status") or "").strip() or None
    if status is not None and status not in set(TransactionStatus):
        notes.append(f"Unknown status “{status[:30]}” ignored: showing every status.")
        status = None
    raw_month = (args.get("month") or "").strip()
    month = _month(raw_month) if raw_month else None
    if raw_month and month is None:
        notes.append(f"“{raw_month[:30]}” is not a month like 2026-11: showing every month.")
    raw_after = (args.get("after") or "").strip()
    after = _cursor(raw_after) if raw_after else None  # a forged cursor just starts from the newest
    return SalesFilter(status=status, month=month, after=after, notes=notes)
