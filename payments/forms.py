"""The "Pay now" form both faces show: an amount (the balance due unless the payer types less) and the card token
Stripe.js puts in a hidden field. Card data itself never reaches us."""

from __future__ import annotations

import re
from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import ValidationError

from app.money import MoneyError, parse_dollars
from models import Invoice
from payments.service import amount_problem

# What Stripe.js createToken returns (real Stripe and localstripe alike): tok_ and letters, digits, underscores.
TOKEN_RE = re.compile(r"^tok_[A-Za-z0-9_]{1,250}$")
AMOUNT_MAX_LENGTH = 32


class PayForm(FlaskForm):
    amount = StringField(
        "Amount to pay",
        render_kw={"inputmode": "decimal", "autocomplete": "off", "maxlength": AMOUNT_MAX_LENGTH},
    )
    stripe_token = HiddenField()

    def __init__(self, invoice: Invoice, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.invoice = invoice
        self.amount_cents: int | None = None
        if not self.is_submitted():
            self.amount.data = str(
                Decimal(invoice.balance_cents).scaleb(-2)
            )  # 1234.50, in the invoice's currency

    def validate_amount(self, field: StringField) -> None:
        raw = (field.data or "").strip()
        if len(raw) > AMOUNT_MAX_LENGTH:
            raise ValidationError("Enter an amount in dollars, like 45 or 45.50.")
        try:
            cents = parse_dollars(raw)
        except MoneyError as error:
            raise ValidationError(str(error)) from error
        problem = amount_problem(cents, self.invoice)
        if problem:
            raise ValidationError(problem)
        self.amount_cents = cents

    def validate_stripe_token(self, field: HiddenField) -> None:
        if not TOKEN_RE.match(field.data or ""):
            raise ValidationError("Enter your card details.")
