"""The marketplace's fixed vocabularies, kept in one place: categories, US states and price types."""

from __future__ import annotations

from app.money import format_money
from models import PriceType

CATEGORIES: dict[str, str] = {
    "stud_service": "Stud service",
    "grooming": "Grooming",
    "training": "Training",
    "boarding": "Boarding",
    "transport": "Transport",
    "veterinary": "Veterinary care",
    "photography": "Photography",
    "handling": "Show handling",
    "breeding_consult": "Breeding consultation",
    "whelping": "Whelping support",
}

US_STATES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana",
    "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland",
    "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri",
    "MT": "Montana", "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey",
    "NM": "New Mexico", "NY": "New York", "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio",
    "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina",
    "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont",
    "VA": "Virginia", "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
}  # fmt: skip

# A label for every ServiceListing.price_type (models.PriceType, whose values the CHECK allows), in form order.
PRICE_TYPES: dict[PriceType, str] = {
    PriceType.FIXED: "Fixed price",
    PriceType.HOURLY: "Per hour",
    PriceType.DAILY: "Per day",
    PriceType.PER_SESSION: "Per session",
    PriceType.QUOTE: "Ask for a quote",
}
PRICE_SUFFIXES: dict[PriceType, str] = {
    PriceType.FIXED: "flat rate",
    PriceType.HOURLY: "/ hour",
    PriceType.DAILY: "/ day",
    PriceType.PER_SESSION: "/ session",
}


def category_label(key: str | None) -> str:
    return CATEGORIES.get(key or "", (key or "").replace("_", " ").capitalize())


def state_label(code: str | None) -> str:
    return US_STATES.get(code or "", code or "")


def price_label(price_cents: int | None, price_type: str | None, currency: str | None = "USD") -> str:
    """'$45.00 / hour', '$300.00 flat rate', 'Ask for a quote'."""
    if price_type == PriceType.QUOTE or price_cents is None:
        return "Ask for a quote"
    suffix = PRICE_SUFFIXES.get(price_type or "", "")
    return f"{format_money(price_cents, currency)} {suffix}".strip()
