"""The browser's result cards (marketplace/browse/cards.py): every value escaped, every part shown when it applies."""

from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser

from flask import Flask, url_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.storage import media_url
from marketplace.browse.cards import result_cards
from marketplace.browse.forms import Cursor
from marketplace.browse.queries import ResultRow
from marketplace.rating_summary import rating_summary
from models import Rating

HOSTILE = "<script>alert(\"x\")</script> & 'quoted'"


def _row(**fields) -> ResultRow:
    row = ResultRow(
        id=7,
        title="Stud service",
        excerpt="A proven sire.",
        category="stud_service",
        price_cents=45_000,
        price_type="fixed",
        currency="USD",
        city="Austin",
        state="TX",
        tags=None,
        provider_id=3,
        photo=None,
        provider_name="Sunny Acres",
        provider_verified=False,
        provider_rating=Rating(0, 0),
        distance_miles=None,
        cursor=Cursor("newest", "2026-01-01", 7),
    )
    return replace(row, **fields)


class _Tags(HTMLParser):
    """Open and close tags, to check a card is well formed whatever its text."""

    VOID = {"img", "br", "input", "meta", "link"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.script = False
        self.text = ""

    def handle_starttag(self, tag, attrs):
        self.script = self.script or tag == "script"
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_data(self, data):
        self.text += data

    def handle_endtag(self, tag):
        assert self.stack and self.stack.pop() == tag, (tag, self.stack)


def _well_formed(html: str) -> _Tags:
    tags = _Tags()
    tags.feed(html)
    tags.close()
    assert tags.stack == [], tags.stack
    return tags


def test_a_card_shows_its_listing_and_links_to_it_and_its_provider(app: Flask):
    with app.test_request_context("/listings"):
        html = str(result_cards([_row()]))
        listing, provider = (
            url_for("marketplace.listing", listing_id=7),
            url_for("marketplace.provider", provider_id=3),
        )
    _well_formed(html)
    assert html.count('<li class="card result-card">') == 1
    assert '<p class="muted result-category">Stud service</p>' in html
    assert f'<h2><a href="{listing}">Stud service</a></h2>' in html
    assert '<p class="result-price">$450.00 flat rate</p>' in html
    assert f'Austin, TX &middot; <a href="{provider}">Sunny Acres</a></p>' in html
    assert '<p class="result-excerpt">A proven sire.</p>' in html
    assert "result-photo-none" in html and "<img" not in html
    assert "Verified breeder" not in html and "result-rating" not in html and "result-distance" not in html


def test_the_optional_parts_show_only_when_they_apply(app: Flask):
    row = _row(
        photo="listings/1/card.jpg",
        provider_verified=True,
        provider_rating=Rating(2, 7),
        distance_miles=12.4,
        city=None,
    )
    with app.test_request_context("/listings"):
        html = str(result_cards([row]))
        photo = media_url("listings/1/card.jpg")
    _well_formed(html)
    assert f'<img class="result-photo" src="{photo}" width="480" height="360" alt="" loading="lazy">' in html
    assert "result-photo-none" not in html
    assert '<span class="badge badge-verified">Verified breeder</span>' in html
    assert f'<p class="result-rating">{rating_summary(Rating(2, 7))}</p>' in html
    assert "Rated </span>3.5" in html and "(2 reviews)" in html
    assert '<p class="result-distance">12 mi away</p>' in html
    assert '<p class="muted">TX &middot;' in html  # no city: no dangling comma


def test_cards_keep_their_order(app: Flask):
    rows = [_row(id=id_, title=f"Listing {id_}") for id_ in (30, 10, 20)]
    with app.test_request_context("/listings"):
        html = str(result_cards(rows))
        assert str(result_cards([])) == ""
    assert [int(found) for found in re.findall(r'href="/listings/(\d+)"', html)] == [30, 10, 20]


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(min_size=1, max_size=40))
def test_any_text_in_any_field_is_escaped(app: Flask, text: str):
    row = _row(
        title=text + HOSTILE,
        excerpt=HOSTILE + text,
        city=text + HOSTILE,
        state=HOSTILE,
        provider_name=HOSTILE + text,
        photo=HOSTILE,
    )
    with app.test_request_context("/listings"):
        html = str(result_cards([row]))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;quoted&#x27;" in html
    tags = _well_formed(html)
    assert not tags.script
    assert text + HOSTILE in tags.text and HOSTILE + text in tags.text  # read back as typed


def test_the_browse_page_shows_a_hostile_listing_escaped(client):
    from tests.factories import MarketplaceUserFactory, ServiceListingFactory

    provider = MarketplaceUserFactory(user_type="service_provider", first_name="<b>Bold", last_name="</li>")
    ServiceListingFactory(
        provider_user=provider,
        title="<i>Tilted</i>",
        city="<u>Town</u>",
        description="<img src=x onerror=alert(1)>",
    )
    html = client.get("/listings").get_data(as_text=True)
    card = re.search(r'<li class="card result-card">.*?</li>\n', html, re.DOTALL).group(0)
    _well_formed(card)
    for raw in ("<b>Bold", "<i>Tilted</i>", "<u>Town</u>", "<img src=x"):
        assert raw not in html
    assert "&lt;i&gt;Tilted&lt;/i&gt;" in card and "&lt;u&gt;Town&lt;/u&gt;" in card


def test_tab_links_keep_the_category_in_its_place_among_the_filters(client):
    from tests.factories import ServiceListingFactory

    ServiceListingFactory(category="grooming", zip_code="75201")
    html = client.get("/listings?near=75201&within=50&min_price=1").get_data(as_text=True)
    links = re.findall(r'<li><a href="(/listings[^"]*)"', html)
    assert "/listings?category=grooming&amp;min_price=1&amp;near=75201&amp;within=50" in links, links
