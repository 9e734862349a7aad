"""The marketplace's fixed vocabularies cover every value the database allows."""

from marketplace.catalog import PRICE_SUFFIXES, PRICE_TYPES, price_label
from models import PriceType


def test_every_price_type_has_a_label_in_the_order_of_the_enum():
    assert list(PRICE_TYPES) == list(PriceType)


def test_every_price_type_but_a_quote_has_a_suffix_after_the_price():
    assert set(PRICE_SUFFIXES) == set(PriceType) - {PriceType.QUOTE}
    assert price_label(4500, "hourly") == "$45.00 / hour"
    assert price_label(4500, "quote") == "Ask for a quote"
