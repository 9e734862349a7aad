"""The seller dashboard: who may create and edit, validation, publish and unpublish."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from models import ServiceListing
from tests.factories import MarketplaceUserFactory, ServiceListingFactory


@pytest.fixture
def seller(login_as):
    user = MarketplaceUserFactory(user_type="service_provider")
    login_as(user)
    return user


def _valid(**overrides) -> dict[str, str]:
    data = {
        "title": "Puppy socialization class",
        "description": "Four weeks of gentle socialization.\n\nBring treats.",
        "category": "training",
        "price_type": "hourly",
        "price": "45",
        "city": "Austin",
        "state": "TX",
        "zip_code": "78701",
        "service_area_miles": "30",
        "tags": "puppy, socialization",
    }
    data.update(overrides)
    return data


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(ServiceListing))


def test_seller_creates_a_draft_listing_and_is_taken_to_its_photos(client, csrf, seller):
    response = client.post("/dashboard/listings/new", data={"csrf_token": csrf(), **_valid()})
    assert response.status_code == 302
    listing = db.session.scalar(select(ServiceListing).where(ServiceListing.provider_user_id == seller.id))
    assert (
        listing.status == "draft"
        and listing.price_cents == 4500
        and listing.tags == ["puppy", "socialization"]
    )
    assert listing.images is None  # photos are uploaded on the listing's photos page
    assert response.headers["Location"] == f"/dashboard/listings/{listing.id}/photos"
    assert "Puppy socialization class" in client.get("/dashboard/listings").get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "Give the listing a title."),
        ("title", "x" * 256, "at most 255"),
        ("description", "   ", "Describe the service."),
        ("category", "astrology", "Choose a category"),
        ("price", "12.345", "at most 2 decimal"),
        ("price", "-1", "cannot be negative"),
        ("price", "92233720368547758.08", "at most"),
        ("price", "abc", "Enter an amount"),
        ("price", "", "Enter a price"),
        ("price_type", "", "Choose how you charge"),
        ("state", "XX", "Choose a US state"),
        ("zip_code", "1234", "5-digit ZIP"),
        ("zip_code", "٧٨٧٠١", "5-digit ZIP"),  # digits, but not the ones a US ZIP code is written with
        (
            "zip_code",
            "00000",
            "know the ZIP code 00000",
        ),  # five digits, but no such ZIP: near-me could not find it
        ("service_area_miles", "501", "0 to 500"),
        ("service_area_miles", "-1", "0 to 500"),
        ("service_area_miles", "9" * 310, "at most 15 digits"),  # was an OverflowError (a 500)
        ("service_area_miles", "-" + "9" * 310, "at most 15 digits"),
        ("tags", ",".join(f"t{n}" for n in range(11)), "at most 10 tags"),
        ("tags", "x" * 31, "30 characters"),
    ],
)
def test_invalid_listing_is_refused_with_a_message_beside_the_field(
    client, csrf, seller, field, value, message
):
    before = _count()
    response = client.post("/dashboard/listings/new", data={"csrf_token": csrf(), **_valid(**{field: value})})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html
    assert message in html
    assert _count() == before


def test_a_quote_has_no_price(client, csrf, seller):
    response = client.post(
        "/dashboard/listings/new", data={"csrf_token": csrf(), **_valid(price_type="quote", price="10")}
    )
    assert response.status_code == 422
    assert "A quote has no price" in response.get_data(as_text=True)
    ok = client.post(
        "/dashboard/listings/new", data={"csrf_token": csrf(), **_valid(price_type="quote", price="")}
    )
    assert ok.status_code == 302


def test_price_up_to_the_bigint_limit_is_accepted(client, csrf, seller):
    response = client.post(
        "/dashboard/listings/new", data={"csrf_token": csrf(), **_valid(price="92233720368547758.07")}
    )
    assert response.status_code == 302
    listing = db.session.scalar(select(ServiceListing).where(ServiceListing.provider_user_id == seller.id))
    assert listing.price_cents == 9_223_372_036_854_775_807


def test_creating_requires_csrf(client, seller):
    assert client.post("/dashboard/listings/new", data=_valid()).status_code == 400


def test_buyers_cannot_create_listings(client, csrf, login_as):
    login_as(MarketplaceUserFactory(user_type="buyer"))
    assert client.get("/dashboard/listings/new").status_code == 403
    assert client.post("/dashboard/listings/new", data={"csrf_token": csrf(), **_valid()}).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/dashboard/listings/new")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_owner_edits_a_listing(client, csrf, seller):
    listing = ServiceListingFactory(provider_user=seller, title="Old title")
    page = client.get(f"/dashboard/listings/{listing.id}/edit").get_data(as_text=True)
    assert 'value="Old title"' in page and 'value="50.00"' in page
    response = client.post(
        f"/dashboard/listings/{listing.id}/edit", data={"csrf_token": csrf(), **_valid(title="New title")}
    )
    assert response.status_code == 302
    db.session.refresh(listing)
    assert listing.title == "New title"


def test_a_listing_moved_to_another_zip_is_found_near_its_new_place(client, csrf, seller):
    listing = ServiceListingFactory(provider_user=seller, title="Moving groomer", zip_code="78701")  # Austin
    assert "Moving groomer" not in client.get("/listings?near=75201&within=50").get_data(as_text=True)
    response = client.post(
        f"/dashboard/listings/{listing.id}/edit",
        data={"csrf_token": csrf(), **_valid(title="Moving groomer", city="Dallas", zip_code="75204")},
    )
    assert response.status_code == 302
    html = client.get("/listings?near=75201&within=50").get_data(as_text=True)
    assert "Moving groomer" in html and "1 mi away" in html


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/dashboard/listings/{id}/edit"),
        ("post", "/dashboard/listings/{id}/edit"),
        ("post", "/dashboard/listings/{id}/publish"),
        ("post", "/dashboard/listings/{id}/unpublish"),
    ],
)
def test_another_sellers_listing_is_404_in_the_dashboard(client, csrf, seller, method, path):
    theirs = ServiceListingFactory(title="Not yours", status="active")
    response = getattr(client, method)(path.format(id=theirs.id), data={"csrf_token": csrf(), **_valid()})
    assert response.status_code == 404
    db.session.refresh(theirs)
    assert theirs.title == "Not yours" and theirs.status == "active"


def test_another_sellers_listing_is_not_in_my_dashboard(client, seller):
    ServiceListingFactory(title="Somebody else's listing")
    assert "Somebody else&#39;s listing" not in client.get("/dashboard/listings").get_data(as_text=True)


def test_publish_sets_published_at_and_unpublish_makes_it_inactive(client, csrf, seller):
    listing = ServiceListingFactory(
        provider_user=seller, status="draft", published_at=None, title="Ready now"
    )
    assert (
        client.post(f"/dashboard/listings/{listing.id}/publish", data={"csrf_token": csrf()}).status_code
        == 302
    )
    db.session.refresh(listing)
    assert listing.status == "active" and listing.published_at is not None
    assert client.get(f"/listings/{listing.id}").status_code == 200
    client.post(f"/dashboard/listings/{listing.id}/unpublish", data={"csrf_token": csrf()})
    db.session.refresh(listing)
    assert listing.status == "inactive"
    assert client.get(f"/listings/{listing.id}").status_code == 404


def test_unverified_seller_cannot_publish(client, csrf, login_as):
    user = MarketplaceUserFactory(user_type="both", email_verified=False)
    login_as(user)
    listing = ServiceListingFactory(provider_user=user, status="draft")
    response = client.post(f"/dashboard/listings/{listing.id}/publish", data={"csrf_token": csrf()})
    db.session.refresh(listing)
    assert listing.status == "draft"
    assert "Confirm your e-mail" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_seller_cannot_republish_a_suspended_listing(client, csrf, seller):
    listing = ServiceListingFactory(provider_user=seller, status="suspended")
    client.post(f"/dashboard/listings/{listing.id}/publish", data={"csrf_token": csrf()})
    db.session.refresh(listing)
    assert listing.status == "suspended"


def test_publish_requires_csrf(client, seller):
    listing = ServiceListingFactory(provider_user=seller, status="draft")
    assert client.post(f"/dashboard/listings/{listing.id}/publish").status_code == 400
    assert client.get(f"/dashboard/listings/{listing.id}/publish").status_code == 405


@pytest.mark.parametrize("price", ["1e999999999", "9E+999999", "92233720368547758.08"])
def test_a_price_with_an_absurd_exponent_is_a_message_not_an_error(client, csrf, seller, price):
    response = client.post("/dashboard/listings/new", data={"csrf_token": csrf(), **_valid(price=price)})
    assert response.status_code == 422
    assert "The amount can be at most" in response.get_data(as_text=True)
