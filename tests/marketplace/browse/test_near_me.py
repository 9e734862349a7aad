""" "Near me": listings within a radius of the buyer's ZIP, nearest first, "providers who travel to me", the
distance on each card, bad input, and how location combines with the other filters, the counts and the pages."""

from __future__ import annotations

import math
import re
from html import unescape

import pytest
from sqlalchemy import Double, Integer, column, select, text, values

from app.extensions import db
from marketplace.browse.location import Near
from models import ServiceListing
from models.location import EARTH_RADIUS_MILES
from tests.factories import MarketplaceUserFactory, ServiceListingFactory
from tests.query_count import count_queries

# Miles from downtown Dallas (75201), centroid to centroid.
DALLAS, UPTOWN, IRVING, PLANO, FORT_WORTH, AUSTIN = "75201", "75204", "75061", "75093", "76102", "78701"
CARD_RE = re.compile(r'<li class="card result-card">.*?</li>', re.DOTALL)
TITLE_RE = re.compile(r'<h2><a href="/listings/\d+">([^<]+)</a></h2>')
DISTANCE_RE = re.compile(r'<p class="result-distance">([^<]+)</p>')
NEXT_RE = re.compile(r'href="([^"]*)" rel="next"')
COUNT_RE = re.compile(r'<a href="[^"]*"(?: aria-current="page")?>([^<(]+) \(([\d,]+)\)</a>')


def _listing(title: str, zip_code: str, **fields) -> ServiceListing:
    return ServiceListingFactory(title=title, zip_code=zip_code, **fields)


def _get(client, query: str, status: int = 200) -> str:
    response = client.get(f"/listings{query}")
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def _titles(html: str) -> list[str]:
    return [unescape(title) for title in TITLE_RE.findall(html)]


def _cards(html: str) -> dict[str, str]:
    """{title: distance label} of the cards on the page."""
    found = {}
    for card in CARD_RE.findall(html):
        distance = DISTANCE_RE.search(card)
        found[unescape(TITLE_RE.search(card).group(1))] = distance.group(1) if distance else ""
    return found


@pytest.fixture
def around_dallas():
    return [
        _listing("Downtown Dallas", DALLAS),
        _listing("Uptown", UPTOWN),
        _listing("Irving", IRVING),
        _listing("Plano", PLANO),
        _listing("Fort Worth", FORT_WORTH),
        _listing("Austin", AUSTIN),
    ]


@pytest.mark.parametrize(
    ("first", "second", "miles"),
    [
        (DALLAS, AUSTIN, 182),  # Dallas - Austin
        ("10007", "90012", 2445),  # New York City Hall - Los Angeles City Hall
        ("60602", "77002", 940),  # Chicago - Houston
        ("98104", "33128", 2734),  # Seattle - Miami
    ],
)
def test_distances_between_known_city_pairs_are_within_one_percent(first, second, miles):
    distance = db.session.scalar(
        text(
            'SELECT great_circle_miles(a.latitude, a.longitude, b.latitude, b.longitude) FROM "ZipCentroid" a, '
            '"ZipCentroid" b WHERE a.zip_code = :first AND b.zip_code = :second'
        ),
        {"first": first, "second": second},
    )
    assert distance == pytest.approx(miles, rel=0.01)


def test_a_buyer_sees_listings_within_the_radius_nearest_first_with_their_distance(client, around_dallas):
    html = _get(client, f"?near={DALLAS}&within=50")
    assert _titles(html) == ["Downtown Dallas", "Uptown", "Irving", "Plano", "Fort Worth"]
    assert _cards(html) == {
        "Downtown Dallas": "Under 1 mi away",
        "Uptown": "1 mi away",
        "Irving": "10 mi away",
        "Plano": "17 mi away",
        "Fort Worth": "30 mi away",
    }
    assert "5</strong> listings" in html and "within 50 miles of 75201 (Dallas, TX)" in html
    assert _cards(_get(client, f"?near={DALLAS}&within=500"))["Austin"] == "183 mi away"


def test_the_radius_defaults_to_25_miles_and_a_zip_plus_4_is_read_as_its_zip(client, around_dallas):
    html = _get(client, "?near=75201-1234")
    assert _titles(html) == ["Downtown Dallas", "Uptown", "Irving", "Plano"]
    assert "within 25 miles of 75201" in html


def test_a_listing_whose_zip_is_unknown_never_shows_in_a_near_search(client, around_dallas):
    _listing("Nowhere", "00000")
    assert "Nowhere" not in _titles(_get(client, f"?near={DALLAS}&within=500"))
    assert "Nowhere" in _titles(_get(client, "?q=nowhere"))


def test_without_a_location_cards_show_no_distance(client, around_dallas):
    html = _get(client, "")
    assert set(_cards(html).values()) == {""}
    assert "Nearest first" in html  # offered, and explained when chosen without a ZIP
    assert "Enter a ZIP code to sort by distance." in _get(client, "?sort=distance")


def test_a_location_with_another_sort_still_filters_and_shows_distances(client, around_dallas):
    cheap = db.session.scalar(select(ServiceListing).where(ServiceListing.title == "Fort Worth"))
    cheap.price_cents = 100
    db.session.flush()
    html = _get(client, f"?near={DALLAS}&within=50&sort=price_asc")
    assert _titles(html)[0] == "Fort Worth" and len(_titles(html)) == 5
    assert _cards(html)["Fort Worth"] == "30 mi away"


def test_travel_to_me_keeps_providers_whose_service_area_reaches_the_buyer(client):
    _listing("Fort Worth, travels 25", FORT_WORTH, service_area_miles=25)
    _listing("Fort Worth, travels 50", FORT_WORTH, service_area_miles=50)
    _listing("Fort Worth, does not say", FORT_WORTH, service_area_miles=None)
    _listing("Dallas, at their place only", DALLAS, service_area_miles=0)
    _listing("Plano, travels 30", PLANO, service_area_miles=30)

    everyone = _titles(_get(client, f"?near={DALLAS}&within=50"))
    assert len(everyone) == 5
    html = _get(client, f"?near={DALLAS}&within=50&travel=1")
    assert _titles(html) == ["Dallas, at their place only", "Plano, travels 30", "Fort Worth, travels 50"]
    assert "from providers who travel there" in html
    # The radius still bounds the search: a provider who would travel 50 miles is not within 20.
    assert _titles(_get(client, f"?near={DALLAS}&within=20&travel=1")) == [
        "Dallas, at their place only",
        "Plano, travels 30",
    ]


def test_location_combines_with_keyword_category_price_and_the_counts(client):
    _listing("Poodle grooming Dallas", DALLAS, category="grooming", price_cents=5_000)
    _listing("Poodle grooming Plano", PLANO, category="grooming", price_cents=20_000)
    _listing("Poodle training Irving", IRVING, category="training", price_cents=5_000)
    _listing("Poodle grooming Austin", AUSTIN, category="grooming", price_cents=5_000)
    _listing("Beagle grooming Dallas", DALLAS, category="grooming", price_cents=5_000)

    html = _get(client, f"?q=poodle&near={DALLAS}&within=50")
    assert _titles(html) == ["Poodle grooming Dallas", "Poodle training Irving", "Poodle grooming Plano"]
    counts = {label.strip(): int(count) for label, count in COUNT_RE.findall(html)}
    assert counts == {"All": 3, "Grooming": 2, "Training": 1}

    html = _get(client, f"?q=poodle&near={DALLAS}&within=50&category=grooming&max_price=100")
    assert _titles(html) == ["Poodle grooming Dallas"]
    counts = {label.strip(): int(count) for label, count in COUNT_RE.findall(html)}
    assert counts == {"All": 2, "Grooming": 1, "Training": 1}

    no_keyword = {
        label.strip(): int(count)
        for label, count in COUNT_RE.findall(_get(client, f"?near={DALLAS}&within=50&min_price=10"))
    }
    assert no_keyword == {"All": 4, "Grooming": 3, "Training": 1}

    # Nearest first without a keyword reads the category and the price from the location index alone.
    html = _get(client, f"?near={DALLAS}&within=50&category=grooming&max_price=100")
    assert _titles(html) == ["Poodle grooming Dallas", "Beagle grooming Dallas"]
    counts = {label.strip(): int(count) for label, count in COUNT_RE.findall(html)}
    assert counts == {"All": 3, "Grooming": 2, "Training": 1}


def test_counts_near_a_zip_leave_out_providers_not_in_good_standing(client):
    _listing("Good", DALLAS)
    suspended = MarketplaceUserFactory(user_type="service_provider", status="suspended")
    _listing("Suspended provider", DALLAS, provider_user=suspended)
    html = _get(client, f"?near={DALLAS}&within=10")
    assert _titles(html) == ["Good"]
    assert {label.strip(): int(count) for label, count in COUNT_RE.findall(html)} == {"All": 1, "Grooming": 1}


def test_next_pages_by_distance_show_every_listing_once_in_order(client):
    # 45 listings in 5 ZIPs: many tie on distance, so the cursor's id must break the ties.
    for zip_code in (FORT_WORTH, DALLAS, PLANO, UPTOWN, IRVING):
        for number in range(9):
            _listing(f"{zip_code} #{number}", zip_code)
    seen: list[str] = []
    distances: list[str] = []
    path = f"/listings?near={DALLAS}&within=50"
    pages = 0
    while path and pages < 10:  # a cursor that does not move on would page forever
        html = client.get(path).get_data(as_text=True)
        cards = _cards(html)
        seen.extend(cards)
        distances.extend(cards.values())
        following = NEXT_RE.search(html)
        path = unescape(following.group(1)) if following else ""
        pages += 1
    assert pages == 3
    assert len(seen) == len(set(seen)) == 45
    order = ["Under 1 mi away", "1 mi away", "10 mi away", "17 mi away", "30 mi away"]
    assert distances == [label for label in order for _ in range(9)]


def test_filters_the_location_index_lacks_keep_their_listings_nearest_first_across_pages(client):
    """Price type and state are checked on each listing's row after the nearest are found in the index: the
    pages still hold every matching listing once, nearest first, and none that does not match."""
    for zip_code in (FORT_WORTH, DALLAS, PLANO, UPTOWN, IRVING):
        for number in range(6):
            _listing(f"{zip_code} hourly #{number}", zip_code, price_type="hourly", price_cents=6_000)
        _listing(f"{zip_code} fixed", zip_code, price_type="fixed", price_cents=6_000)
        _listing(
            f"{zip_code} hourly, in Oklahoma", zip_code, price_type="hourly", state="OK", price_cents=6_000
        )
        _listing(f"{zip_code} hourly, too dear", zip_code, price_type="hourly", price_cents=90_000)
    path = f"/listings?near={DALLAS}&within=50&price_type=hourly&state=TX&max_price=100"
    seen: list[str] = []
    distances: list[str] = []
    for _ in range(10):  # a cursor that does not move on would page forever
        html = _get(client, path.removeprefix("/listings"))
        cards = _cards(html)
        seen.extend(cards)
        distances.extend(cards.values())
        following = NEXT_RE.search(html)
        path = unescape(following.group(1)) if following else ""
        if not path:
            break
    assert sorted(seen) == sorted(
        f"{zip_code} hourly #{n}"
        for zip_code in (FORT_WORTH, DALLAS, PLANO, UPTOWN, IRVING)
        for n in range(6)
    )
    order = ["Under 1 mi away", "1 mi away", "10 mi away", "17 mi away", "30 mi away"]
    assert distances == [label for label in order for _ in range(6)]


def test_previous_from_the_second_page_by_distance_is_the_first(client):
    for number in range(25):
        _listing(f"Listing {number}", (DALLAS, PLANO)[number % 2])
    first = _get(client, f"?near={DALLAS}&within=50")
    second = _get(client, unescape(NEXT_RE.search(first).group(1)).removeprefix("/listings"))
    previous = re.search(r'href="([^"]*)" rel="prev"', second).group(1)
    assert _titles(_get(client, unescape(previous).removeprefix("/listings"))) == _titles(first)
    assert not set(_titles(first)) & set(_titles(second))


def test_a_near_search_runs_a_fixed_number_of_queries(client):
    def queries_for_page() -> int:
        with count_queries() as statements:
            _get(client, f"?q=grooming&near={DALLAS}&within=50&category=grooming")
            _get(client, f"?near={DALLAS}&within=50&travel=1")
        return len(statements)

    _listing("One", DALLAS)
    few = queries_for_page()
    for zip_code in (DALLAS, PLANO, IRVING, FORT_WORTH) * 6:
        _listing("More", zip_code)
    assert queries_for_page() == few
    # Each listing written invalidates the cached counts, so both pages count, each in its page's statement:
    # the ZIP, then the rows with the counts.
    assert few == 2 + 2


def test_a_listing_moved_to_another_zip_is_found_at_its_new_place(client):
    listing = _listing("Moving groomer", AUSTIN)
    assert "Moving groomer" not in _titles(_get(client, f"?near={DALLAS}&within=50"))
    listing.zip_code = UPTOWN
    db.session.flush()
    assert listing.latitude == pytest.approx(32.80, abs=0.05)  # the trigger's value, reloaded by the ORM
    assert _cards(_get(client, f"?near={DALLAS}&within=50")) == {"Moving groomer": "1 mi away"}


@pytest.mark.parametrize("zip_code", ["00000", "09001"])  # none; an APO code the package places at (0, 0)
def test_an_unknown_zip_is_a_message_and_no_listings(client, around_dallas, zip_code):
    html = _get(client, f"?near={zip_code}&within=50", status=422)
    assert f"We don&#39;t know the ZIP code {zip_code}." in html
    assert _titles(html) == []
    assert 'aria-invalid="true" aria-describedby="near-error"' in html


@pytest.mark.parametrize(
    "within", ["0", "501", "-5", "25.5", "abc", "1" * 300, "9" * 16, "1e3", "\u0661\u0660"]
)
def test_a_radius_outside_1_to_500_is_a_message(client, around_dallas, within):
    response = client.get("/listings", query_string={"near": DALLAS, "within": within})
    html = response.get_data(as_text=True)
    if within == "\u0661\u0660":  # Arabic-Indic "10": Python's int() reads it as 10, a valid radius
        assert response.status_code == 200 and _titles(html) == ["Downtown Dallas", "Uptown", "Irving"]
        return
    assert response.status_code == 422
    assert "Choose a distance from 1 to 500 miles." in html
    assert _titles(html) == []


@pytest.mark.parametrize("within", ["1", "500"])
def test_the_radius_bounds_themselves_are_accepted(client, around_dallas, within):
    html = _get(client, f"?near={DALLAS}&within={within}")
    assert len(_titles(html)) == (1 if within == "1" else 6)


@pytest.mark.parametrize(
    "near",
    [
        "7520",
        "752011",
        "ABCDE",
        "75201' OR '1'='1",
        "\u0667\u0665\u0662\u0660\u0661",
        "9" * 300,
        "<b>75201</b>",
        "\ue000state\ue000",  # a placeholder of the shared statements (marketplace.browse.shapes)
        "75201%",
        "7520_",
    ],
)
def test_a_zip_that_is_not_five_digits_is_a_message(client, around_dallas, near):
    response = client.get("/listings", query_string={"near": near, "within": "50"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter a 5-digit ZIP code, like 75201." in html
    assert "<b>75201</b>" not in html and _titles(html) == []


def test_a_nul_byte_in_the_zip_is_refused_like_everywhere(client):
    assert client.get("/listings", query_string={"near": "75\x00201"}).status_code == 400


def test_a_forged_distance_cursor_is_ignored(client, around_dallas):
    import base64
    import json

    for key in ("-1", "1e400", "nan", "12500.1", "x"):
        token = base64.urlsafe_b64encode(json.dumps(["distance", key, 1]).encode()).decode().rstrip("=")
        html = _get(client, f"?near={DALLAS}&within=50&after={token}")
        assert _titles(html)[0] == "Downtown Dallas"


def test_htmx_gets_the_location_message_in_the_results_block(client):
    response = client.get("/listings?near=00000", headers={"HX-Request": "true"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "<form" not in html and "We don" in html and "00000" in html


def _place_zips(*centroids: tuple[str, float, float]) -> None:
    """ZIP centroids of the test's own (in its transaction), for places no real ZIP is."""
    for zip_code, latitude, longitude in centroids:
        db.session.execute(
            text(
                'INSERT INTO "ZipCentroid" (zip_code, latitude, longitude, city, state) '
                "VALUES (:zip_code, :latitude, :longitude, 'Test place', 'AK') ON CONFLICT (zip_code) "
                "DO UPDATE SET latitude = excluded.latitude, longitude = excluded.longitude"
            ),
            {"zip_code": zip_code, "latitude": latitude, "longitude": longitude},
        )


def _destination(latitude: float, longitude: float, miles: float, bearing: float) -> tuple[float, float]:
    """The point `miles` away from a point, on the sphere, at `bearing` degrees from north."""
    angle, b = miles / EARTH_RADIUS_MILES, math.radians(bearing)
    lat1, lon1 = math.radians(latitude), math.radians(longitude)
    lat2 = math.asin(math.sin(lat1) * math.cos(angle) + math.cos(lat1) * math.sin(angle) * math.cos(b))
    lon2 = lon1 + math.atan2(
        math.sin(b) * math.sin(angle) * math.cos(lat1), math.cos(angle) - math.sin(lat1) * math.sin(lat2)
    )
    return math.degrees(lat2), (math.degrees(lon2) + 540) % 360 - 180


def _kept(near: Near, points: list[tuple[float, float]], conditions: str) -> list[int]:
    """The indexes of the points that the location's SQL conditions ("in_box" or "conditions") keep."""
    table = values(
        column("n", Integer), column("latitude", Double), column("longitude", Double), name="points"
    ).data([(n, latitude, longitude) for n, (latitude, longitude) in enumerate(points)])
    kept = select(table.c.n).where(*getattr(near, conditions)(table.c)).order_by(table.c.n)
    return list(db.session.scalars(kept))


@pytest.mark.parametrize(
    ("latitude", "longitude", "miles"),
    [
        (32.79, -96.80, 50),  # Dallas
        (51.9, -176.6, 500),  # Adak: the box wraps the 180th meridian westwards
        (52.0, 178.0, 300),  # wraps it eastwards
        (71.3, -156.8, 500),  # Utqiagvik, far north
        (89.5, 10.0, 100),  # past the North Pole: every longitude
        (-89.0, 0.0, 200),  # past the South Pole
    ],
)
def test_the_box_keeps_every_point_within_the_radius_and_the_distance_no_point_beyond(
    latitude, longitude, miles
):
    """Points on the circle, every 10 degrees of bearing, are inside the statement's box and within the
    radius; points 1% beyond it are not, and neither is the point half the world away."""
    near = Near("99981", "", latitude, longitude, miles, False)
    bearings = range(0, 360, 10)
    on_circle = [_destination(latitude, longitude, miles * (1 - 1e-9), bearing) for bearing in bearings]
    beyond = [_destination(latitude, longitude, miles * 1.01, bearing) for bearing in bearings]
    antipode = (-latitude, longitude - 180 if longitude > 0 else longitude + 180)

    assert _kept(near, on_circle, "in_box") == list(range(len(on_circle)))
    assert _kept(near, on_circle, "conditions") == list(range(len(on_circle)))
    assert _kept(near, [*beyond, antipode], "conditions") == []
    assert _kept(near, [antipode], "in_box") == []


def test_a_box_over_the_meridian_keeps_only_longitudes_near_the_centre():
    """Over the 180th meridian the box is two ranges of longitude: it still leaves out a listing far to the
    east or west in the same latitudes, before any distance is computed."""
    near = Near("99546", "Adak, AK", 51.9, -176.6, 500, False)
    points = [(51.9, 175.0), (51.9, -170.0), (51.9, -150.0), (51.9, 150.0), (51.9, 0.0)]
    assert _kept(near, points, "in_box") == [0, 1]


def test_the_radius_is_in_miles_and_a_listing_on_its_edge_is_in(client):
    """A listing due north by one degree of latitude (69.09 miles) is within 70 miles, not within 69; one at
    exactly the centroid of the buyer's ZIP is within a mile."""
    _place_zips(("99982", 40.0, -100.0), ("99983", 41.0, -100.0))
    _listing("Same ZIP", "99982")
    _listing("One degree north", "99983")
    assert _titles(_get(client, "?near=99982&within=1")) == ["Same ZIP"]
    assert _titles(_get(client, "?near=99982&within=69")) == ["Same ZIP"]
    assert _titles(_get(client, "?near=99982&within=70")) == ["Same ZIP", "One degree north"]
    assert _cards(_get(client, "?near=99983&within=70")) == {
        "One degree north": "Under 1 mi away",
        "Same ZIP": "69 mi away",
    }


def test_a_search_over_the_north_pole_finds_listings_on_the_far_side(client):
    """A circle that reaches past the pole holds every longitude near it: a listing on the other side of the
    pole, 104 miles away across it, is found; one 10 degrees of latitude south is not."""
    _place_zips(("99984", 89.5, 10.0), ("99985", 89.0, -170.0), ("99986", 80.0, 10.0))
    _listing("By the pole", "99984")
    _listing("Across the pole", "99985")
    _listing("Far south", "99986")
    assert _cards(_get(client, "?near=99984&within=110")) == {
        "By the pole": "Under 1 mi away",
        "Across the pole": "104 mi away",
    }


def test_a_known_zip_with_nothing_near_is_zero_listings_not_an_unknown_zip(client, around_dallas):
    html = _get(client, "?near=96813&within=10")  # Honolulu
    assert _titles(html) == []
    assert "0</strong> listings" in html and "within 10 miles of 96813 (Honolulu, HI)" in html
    assert "We don&#39;t know" not in html


def test_an_unknown_zip_is_a_message_when_the_counts_are_cached_too(client):
    """A ZIP whose centroid is gone since its search's counts were cached answers with the message, not with
    no listings (the page without the counts to count is another statement)."""
    _place_zips(("99987", 45.0, -110.0))
    _listing("Soon nowhere", "99987")
    assert _titles(_get(client, "?near=99987&within=10")) == ["Soon nowhere"]
    db.session.execute(text("""DELETE FROM "ZipCentroid" WHERE zip_code = '99987'"""))
    html = _get(client, "?near=99987&within=10", status=422)
    assert "We don&#39;t know the ZIP code 99987." in html and _titles(html) == []


@pytest.mark.parametrize(
    ("query", "order"),
    [
        ("", None),
        ("&sort=distance", None),
        ("&sort=price_asc&q=poodle", "price_asc"),
        ("&travel=1&within=500", None),
    ],
)
def test_an_unknown_zip_answers_like_a_search_without_a_location(client, around_dallas, query, order):
    """Whatever else was asked, an unknown ZIP is its message, no listings, no results summary, and the form
    shows the order the search would have without a ZIP (not "Nearest first")."""
    html = _get(client, f"?near=00000{query}", status=422)
    assert "We don&#39;t know the ZIP code 00000. Check it, or search without a ZIP code." in html
    assert _titles(html) == [] and 'class="results-summary"' not in html
    chosen = re.search(r'<option value="([a-z_]*)" selected', html)
    assert (chosen.group(1) if chosen else None) == order


def test_the_cli_refreshes_centroids_from_the_package_and_moves_listings_with_them(app, client):
    listing = _listing("Downtown Dallas", DALLAS)
    # As if an older package had placed 75201 in Austin, and the listing had been located there.
    db.session.execute(
        text("""UPDATE "ZipCentroid" SET latitude = 30.27, longitude = -97.74 WHERE zip_code = '75201'""")
    )
    db.session.execute(
        text('UPDATE "ServiceListing" SET latitude = 30.27, longitude = -97.74 WHERE id = :id'),
        {"id": listing.id},
    )
    assert _titles(_get(client, f"?near={UPTOWN}&within=10")) == []

    result = app.test_cli_runner().invoke(args=["marketplace", "load-zip-centroids"])

    assert result.exit_code == 0, result.output
    assert "1 ZIP code centroids added or changed" in result.output
    assert "1 listings moved" in result.output
    assert _cards(_get(client, f"?near={UPTOWN}&within=10")) == {"Downtown Dallas": "1 mi away"}
    again = app.test_cli_runner().invoke(args=["marketplace", "load-zip-centroids"])
    assert "0 ZIP code centroids added or changed" in again.output and "0 listings moved" in again.output
