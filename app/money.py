"""Money is integer cents. Dollars typed by people are parsed with Decimal; display goes through Babel."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import format_currency

BIGINT_MAX = 9_223_372_036_854_775_807
LOCALE = "en_US"


def format_money(cents: int | None, currency: str | None = "USD") -> str:
    if cents is None:
        return ""
    return _formatted(cents, (currency or "USD").upper())


# Babel takes ~50-100 µs per amount (locale lookup, pattern, Decimal arithmetic), and a page shows dozens; the same
# prices and totals recur on every page, so each (amount, currency) is formatted once per process.
@lru_cache(maxsize=8192)
def _formatted(cents: int, currency: str) -> str:
    return format_currency(Decimal(cents).scaleb(-2), currency, locale=LOCALE)


class MoneyError(ValueError):
    pass


def parse_dollars(raw: str, *, max_cents: int = BIGINT_MAX, allow_zero: bool = True) -> int:
    """'1,234.5' -> 123450. Raises MoneyError with a message fit for a form (allow_zero=False refuses 0)."""
    cleaned = (raw or "").strip().replace(",", "").removeprefix("$").strip()
    if not cleaned:
        raise MoneyError("Enter an amount.")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation as exc:
        raise MoneyError("Enter an amount in dollars, like 45 or 45.50.") from exc
    if not amount.is_finite():
        raise MoneyError("Enter an amount in dollars, like 45 or 45.50.")
    if amount < 0:
        raise MoneyError("The amount cannot be negative.")
    # Compared before scaling: "1e999999999" is a valid Decimal that cannot be scaled (decimal.Overflow).
    if amount > Decimal(max_cents).scaleb(-2):
        raise MoneyError(f"The amount can be at most {format_money(max_cents)}.")
    if amount.as_tuple().exponent < -2 and amount != amount.quantize(Decimal("0.01")):
        raise MoneyError("Use at most 2 decimal places.")
    if not allow_zero and amount == 0:
        raise MoneyError("The amount must be more than $0.00.")
    return int(amount.scaleb(2))
