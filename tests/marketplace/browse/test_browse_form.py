"""The browser's filter form as a visitor gets it (select_field, BrowseFilters.active_count, SORT_CHOICES): the three
selects with "any" first and the chosen value marked, "Sort by" with best match first, and "Filters (n)" counting
exactly the filters that are set."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

from marketplace.catalog import CATEGORIES, PRICE_TYPES, US_STATES
from tests.marketplace.browse.results_pages import get_page

SORT_OPTIONS = [
    ("", "Best match"),
    ("newest", "Newest"),
    ("price_asc", "Price: low to high"),
    ("price_desc", "Price: high to low"),
    ("distance", "Nearest first"),
]
SELECTS = {
    "category": ("Category", "All categories", CATEGORIES),
    "state": ("State", "All states", US_STATES),
    "price_type": ("Price type", "Any", PRICE_TYPES),
}


@dataclass
class Option:
    value: str
    text: str = ""
    selected: bool = False


@dataclass
class BrowseForm(HTMLParser):
    """The browse form's selects (their options in order), the labels naming each field, and the filters' summary."""

    selects: dict[str, list[Option]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    summary: str = ""
    _in_form: bool = False
    _select: str | None = None
    _label: str | None = None
    _in_summary: bool = False

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form" and "browse-form" in attributes.get("class", ""):
            self._in_form = True
        if not self._in_form:
            return
        if tag == "select":
            self._select = attributes["name"]
            self.selects[self._select] = []
        elif tag == "option" and self._select:
            self.selects[self._select].append(Option(attributes["value"], selected="selected" in attributes))
        elif tag == "label" and "for" in attributes:
            self._label = attributes["for"]
            self.labels[self._label] = ""
        elif tag == "summary":
            self._in_summary = True

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            self._select = None
        elif tag == "label":
            self._label = None
        elif tag == "summary":
            self._in_summary = False

    def handle_data(self, data):
        if self._select and self.selects[self._select]:
            self.selects[self._select][-1].text += data
        elif self._label:
            self.labels[self._label] += data
        elif self._in_summary:
            self.summary += data


def _form(client, query: str) -> BrowseForm:
    form = BrowseForm()
    form.feed(get_page(client, f"/listings?{query}"))
    form.close()
    return form


def _chosen(form: BrowseForm, name: str) -> list[str]:
    return [option.value for option in form.selects[name] if option.selected]


EVERYTHING = (
    "category=training&state=OR&price_type=fixed&near=75201&within=50&travel=1&min_price=0&max_price=100"
    "&sort=price_desc"
)


# The query, how many filters "Filters (n)" counts, and the value each select marks (none when absent).
FORM_CASES = [
    ("", 0, {}),
    ("category=grooming", 1, {"category": "grooming"}),
    ("state=tx", 1, {"state": "TX"}),
    ("price_type=hourly&min_price=0", 2, {"price_type": "hourly"}),  # a minimum of $0 is a filter too
    ("max_price=50", 1, {}),
    ("near=75201&within=50", 1, {}),  # nearest first is a location's own order: not a filter
    ("near=75201&within=50&travel=1", 2, {}),
    ("travel=1", 1, {}),
    ("within=50", 0, {}),  # a radius around no ZIP code filters nothing
    ("sort=price_asc", 1, {"sort": "price_asc"}),
    ("q=dog&sort=relevance", 0, {}),  # best match is a search's own order
    ("q=dog&sort=newest", 1, {"sort": "newest"}),
    ("near=75201&sort=newest", 2, {"sort": "newest"}),
    ("category=nope&state=ZZ&price_type=free&sort=sideways&min_price=abc", 0, {}),  # ignored, not counted
    (EVERYTHING, 8, {"category": "training", "state": "OR", "price_type": "fixed", "sort": "price_desc"}),
]


@pytest.mark.parametrize(
    ("query", "count", "chosen"),
    FORM_CASES,
    ids=["everything" if query == EVERYTHING else query or "none" for query, *_ in FORM_CASES],
)
def test_the_form_marks_each_chosen_filter_and_counts_exactly_the_ones_set(client, query, count, chosen):
    form = _form(client, query)
    assert form.summary == (f"Filters ({count})" if count else "Filters")
    for name in (*SELECTS, "sort"):
        assert _chosen(form, name) == ([chosen[name]] if name in chosen else []), name


def test_each_select_has_its_label_any_first_then_every_choice_in_order(client):
    form = _form(client, "state=TX")
    for name, (label, blank, choices) in SELECTS.items():
        assert form.labels[name] == label
        options = [(option.value, option.text.strip()) for option in form.selects[name]]
        assert options == [("", blank), *choices.items()], name
    assert form.labels["sort"] == "Sort by"
    assert [(option.value, option.text.strip()) for option in form.selects["sort"]] == SORT_OPTIONS


@pytest.mark.parametrize("sort", ["newest", "price_asc", "price_desc", "distance"])
def test_the_sort_list_marks_the_order_asked_for(client, sort):
    # With words and a ZIP code, every order but nearest first (the location's default) is a choice of its own.
    form = _form(client, f"q=dog&near=75201&sort={sort}")
    expected = [] if sort == "distance" else [sort]
    assert _chosen(form, "sort") == expected
    assert [option.value for option in form.selects["sort"]] == [value for value, _ in SORT_OPTIONS]
