"""The demo shows what uploads make: photos on every demo listing, and a PDF in the demo conversation that only
its two participants can open."""

from __future__ import annotations

from io import BytesIO

from PIL import Image
from sqlalchemy import select

from app.extensions import db
from demo import seed_demo
from models import MarketplaceUser, MessageAttachment, MessageThread, ServiceListing
from tests.conftest import stored_files
from tests.factories import MarketplaceUserFactory


def _user(email: str) -> MarketplaceUser:
    return db.session.scalar(select(MarketplaceUser).where(MarketplaceUser.email == email))


def test_every_demo_listing_has_a_photo_and_the_first_a_gallery(client, uploads):
    seed_demo()
    seed_demo()  # idempotent: no second set of photos
    listings = db.session.scalars(select(ServiceListing).order_by(ServiceListing.id)).all()
    assert listings and all(len(listing.images) >= 1 for listing in listings)
    assert len(listings[0].images) == 3
    paths = {
        photo[variant]["path"]
        for listing in listings
        for photo in listing.images
        for variant in ("card", "gallery")
    }
    assert paths <= set(stored_files(uploads))
    assert Image.open(BytesIO(uploads.get(listings[0].images[0]["gallery"]["path"]))).size == (1024, 768)
    db.session.commit()
    browse = client.get("/listings").get_data(as_text=True)
    assert browse.count('class="result-photo"') == browse.count('class="card result-card"') > 0
    page = client.get(f"/listings/{listings[0].id}").get_data(as_text=True)
    assert page.count('href="#photo-') == 3


def test_the_demo_conversation_holds_a_pdf_only_its_participants_can_open(client, login_as, uploads):
    seed_demo()
    db.session.commit()
    (attachment,) = db.session.scalars(select(MessageAttachment)).all()
    thread = db.session.scalar(select(MessageThread).where(MessageThread.status == "active"))
    link = f"/messages/{thread.id}/attachments/{attachment.id}"
    assert (
        attachment.file_name == "Sunny Boy health results.pdf"
        and attachment.content_type == "application/pdf"
    )
    for email in ("buyer@example.com", "seller@example.com"):
        login_as(_user(email))
        assert link in client.get(f"/messages/{thread.id}").get_data(as_text=True)
        response = client.get(link)
        assert response.status_code == 200 and response.data.startswith(b"%PDF-")
        assert response.headers["Content-Disposition"].startswith("attachment;")
    login_as(_user("groomer@example.com"))
    assert client.get(link).status_code == 404
    login_as(MarketplaceUserFactory())
    assert client.get(link).status_code == 404
    with client.session_transaction() as session:
        session.clear()
    assert client.get(link).status_code == 404


def test_near_75201_within_50_miles_finds_the_demo_texas_listings_nearest_first(client, uploads):
    seed_demo()
    db.session.commit()
    texas = db.session.scalars(
        select(ServiceListing).where(ServiceListing.state == "TX", ServiceListing.status == "active")
    ).all()
    html = client.get("/listings?near=75201&within=50").get_data(as_text=True)
    cards = html.split('class="card result-card"')[1:]
    assert len(cards) == len(texas) == 5
    assert all(listing.title.replace("'", "&#39;") in html for listing in texas)
    distances = [
        int(card.split('class="result-distance">')[1].split(" mi")[0].replace("Under ", "")) for card in cards
    ]
    assert distances == sorted(distances) and distances[0] <= 1 and distances[-1] <= 50
    assert all('class="result-photo" src=' in card for card in cards)
