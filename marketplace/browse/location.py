""" "Near me": a ZIP code and a radius, read from the query string, and the SQL that keeps listings within it.

A search near a ZIP first keeps the listings inside a bounding box of latitude and longitude, which
ServiceListing_location_price_idx (revisions 0019 and 0025) finds by an index range, and only then computes the
exact great-circle distance of those few. Coordinates are ZIP centroids (models.location), so a distance is accurate
to the size of a ZIP area, a mile or two in a town.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Double, bindparam, func, literal, or_, select
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, Form, StringField
from wtforms.validators import NumberRange, Optional, Regexp

from app.extensions import db
from app.forms import WholeNumberField, strip_text
from marketplace.listings.forms import ZIP_RE
from models import ServiceListing, ZipCentroid
from models.location import EARTH_RADIUS_MILES
from models.scoping import prebuilt

DEFAULT_RADIUS_MILES = 25
MIN_RADIUS_MILES = 1
MAX_RADIUS_MILES = 500
RADIUS_MESSAGE = f"Choose a distance from {MIN_RADIUS_MILES} to {MAX_RADIUS_MILES} miles."
ZIP_MESSAGE = "Enter a 5-digit ZIP code, like 75201."
BOX_MARGIN_DEGREES = 1e-6  # so a listing exactly on the radius is never lost to rounding at the box's edge


LOCATION_FIELDS = ("near", "within", "travel")

# Its own statement, before the page's: the page's statement needs the centroid's value, not only its column,
# for PostgreSQL to plan by how many listings the box holds (a CTE's values are unknown to the planner, which
# then read 78,000 keyword matches' rows for "golden retriever" near Dallas where the box holds 10,000 rows of
# the location index: 850 ms instead of 75). Built once: building and compiling it cost more than running it.
CENTROID = prebuilt(
    select(ZipCentroid.latitude, ZipCentroid.longitude, ZipCentroid.city, ZipCentroid.state).where(
        ZipCentroid.zip_code == bindparam("zip_code")
    )
)


class LocationForm(Form):
    """The location fields of the browser's search form (a GET form: no CSRF, nothing is saved)."""

    near = StringField(
        "Near ZIP code",
        filters=[strip_text],
        validators=[Optional(), Regexp(ZIP_RE, flags=re.ASCII, message=ZIP_MESSAGE)],
    )
    within = WholeNumberField(
        "Within (miles)",
        validators=[Optional(), NumberRange(MIN_RADIUS_MILES, MAX_RADIUS_MILES, message=RADIUS_MESSAGE)],
    )
    travel = BooleanField("Only providers who travel to me")


@dataclass(frozen=True)
class Near:
    """Where the buyer is and how far they look: a known ZIP's centroid and a radius in miles."""

    zip_code: str
    place: str  # "Dallas, TX", for the page to say where it searched
    latitude: float
    longitude: float
    radius_miles: int
    travel: bool  # only listings whose service area reaches the buyer

    def distance_to(self, latitude: Any, longitude: Any) -> ColumnElement[float]:
        """Miles from here to a point, in SQL (models.location's great_circle_miles)."""
        return func.great_circle_miles(
            latitude, longitude, literal(self.latitude, Double), literal(self.longitude, Double), type_=Double
        )

    def box(self) -> tuple[tuple[float, float], list[tuple[float, float]]]:
        """The bounding box of the circle (bounding_box)."""
        return bounding_box(self.latitude, self.longitude, self.radius_miles)

    def conditions(self, listings: Any = ServiceListing) -> list[ColumnElement[bool]]:
        """Listings within the radius (and, for "travel to me", whose service area covers the distance): the box
        on indexed columns first, then the exact distance. `listings`: the columns to test, ServiceListing's own
        or a subquery's (`.c`)."""
        distance = self.distance_to(listings.latitude, listings.longitude)
        return self.in_box(listings) + self.reaches(distance, listings)

    def in_box(self, listings: Any = ServiceListing) -> list[ColumnElement[bool]]:
        """Listings inside the bounding box, ranges of indexed columns."""
        (south, north), longitudes = self.box()
        return [
            listings.latitude.between(south, north),
            or_(*(listings.longitude.between(west, east) for west, east in longitudes)),
        ]

    def reaches(self, distance: Any, listings: Any = ServiceListing) -> list[ColumnElement[bool]]:
        """Listings `distance` miles away that are within the radius and, for "travel to me", whose service area
        reaches the buyer."""
        conditions = [distance <= self.radius_miles]
        if self.travel:
            conditions.append(distance <= listings.service_area_miles)
        return conditions


@dataclass
class LocationInput:
    """What the visitor typed, as the form shows it back, and the messages for what could not be used."""

    near: str = ""
    within: str = ""
    travel: bool = False
    errors: dict[str, str] | None = None


def bounding_box(
    latitude: float, longitude: float, miles: float
) -> tuple[tuple[float, float], list[tuple[float, float]]]:
    """The latitude range, and one or two longitude ranges, that hold every point within `miles` of a point.

    The widest longitude of a circle on the sphere is asin(sin(r) / cos(latitude)) away; a circle over a pole
    spans every longitude, and one over the 180th meridian wraps into two ranges (Alaska's Aleutians)."""
    angle = miles / EARTH_RADIUS_MILES
    south = latitude - math.degrees(angle) - BOX_MARGIN_DEGREES
    north = latitude + math.degrees(angle) + BOX_MARGIN_DEGREES
    if north >= 90 or south <= -90:
        return (max(south, -90.0), min(north, 90.0)), [(-180.0, 180.0)]
    spread = math.degrees(math.asin(math.sin(angle) / math.cos(math.radians(latitude)))) + BOX_MARGIN_DEGREES
    west, east = longitude - spread, longitude + spread
    if west < -180:
        return (south, north), [(west + 360, 180.0), (-180.0, east)]
    if east > 180:
        return (south, north), [(west, 180.0), (-180.0, east - 360)]
    return (south, north), [(west, east)]


def parse_location(args: MultiDict) -> tuple[Near | None, LocationInput]:
    """The buyer's location from the query string: a Near when it can be used, and the form's echo and messages.

    An unknown ZIP or a radius outside 1-500 is a message and no location at all: results from everywhere, or
    from some other radius, would look like an answer to the question the buyer asked."""
    location_args = {key: args.getlist(key) for key in LOCATION_FIELDS if key in args}
    if not location_args:
        return None, LocationInput()  # most visits: no form to build and validate
    form = LocationForm(formdata=MultiDict(location_args))
    form.validate()
    shown = LocationInput(
        near=(form.near.data or "")[:20],
        within=(form.within.raw_data[0] if form.within.raw_data else "").strip()[:20],
        travel=bool(form.travel.data),
    )
    errors: dict[str, str] = {}
    if form.within.errors:
        errors["within"] = RADIUS_MESSAGE
    if form.near.errors:
        errors["near"] = ZIP_MESSAGE
    if not form.near.data or errors:
        shown.errors = errors or None
        return None, shown
    zip_code = form.near.data[:5]
    centroid = db.session.execute(CENTROID, {"zip_code": zip_code}).one_or_none()
    if centroid is None:
        shown.errors = {
            "near": f"We don't know the ZIP code {zip_code}. Check it, or search without a ZIP code."
        }
        return None, shown
    place = ", ".join(part for part in (centroid.city, centroid.state) if part)
    radius = form.within.data if form.within.data is not None else DEFAULT_RADIUS_MILES
    return Near(zip_code, place, centroid.latitude, centroid.longitude, radius, shown.travel), shown


def distance_label(miles: float | None) -> str:
    """ "12 mi away" on a card; "Under 1 mi away" in the same ZIP or next door."""
    if miles is None:
        return ""
    if miles < 1:
        return "Under 1 mi away"
    return f"{math.floor(miles + 0.5):,} mi away"  # half up, not Python's round-half-to-even
