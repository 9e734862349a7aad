"""Listing photos: upload, the files made from them, order and removal, what buyers see, and every bad file."""

from __future__ import annotations

from io import BytesIO

import pytest
from markupsafe import escape
from PIL import ExifTags, Image

from app.extensions import db
from app.uploads import MAX_FILE_BYTES
from models import ServiceListing
from tests.conftest import stored_files
from tests.factories import MarketplaceUserFactory, ServiceListingFactory
from tests.files import image_bytes, jpeg_with_gps, pdf_bytes, png_claiming


@pytest.fixture
def seller(login_as):
    user = MarketplaceUserFactory(user_type="service_provider")
    login_as(user)
    return user


@pytest.fixture
def listing(seller):
    return ServiceListingFactory(provider_user=seller, title="Golden stud", status="draft")


def _upload(client, csrf, listing, *files: tuple[bytes, str]):
    return client.post(
        f"/dashboard/listings/{listing.id}/photos",
        data={"csrf_token": csrf(), "photos": [(BytesIO(data), name) for data, name in files]},
        content_type="multipart/form-data",
    )


def _images(listing) -> list:
    db.session.expire(listing)
    return db.session.get(ServiceListing, listing.id).images


def _open(store, path: str) -> Image.Image:
    return Image.open(BytesIO(store.get(path)))


# --- uploading -----------------------------------------------------------------------------------------------


def test_uploaded_photos_are_stored_as_a_gallery_size_and_a_card_in_the_documented_shape(
    client, csrf, listing, uploads
):
    response = _upload(
        client,
        csrf,
        listing,
        (image_bytes("JPEG", (3000, 2000)), "wide.JPG"),
        (image_bytes("PNG", (600, 900), alpha=True), "tall.png"),
        (image_bytes("WEBP", (500, 500)), "square.webp"),
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/dashboard/listings/{listing.id}/photos"
    images = _images(listing)
    assert [set(photo) for photo in images] == [{"id", "card", "gallery"}] * 3
    wide, tall, _square = images
    assert (wide["gallery"]["width"], wide["gallery"]["height"]) == (1600, 1067)
    assert (tall["gallery"]["width"], tall["gallery"]["height"]) == (600, 900)  # never scaled up
    assert all((photo["card"]["width"], photo["card"]["height"]) == (480, 360) for photo in images)
    for photo in images:
        for variant in ("card", "gallery"):
            path = photo[variant]["path"]
            assert path.startswith(f"photos/{listing.id}/") and path.endswith(".webp")
            stored = _open(uploads, path)
            assert stored.format == "WEBP"
            assert stored.size == (photo[variant]["width"], photo[variant]["height"])
    assert len(stored_files(uploads)) == 6
    page = client.get(f"/dashboard/listings/{listing.id}/photos").get_data(as_text=True)
    assert "3 of 8 photos" in page and wide["card"]["path"] in page


def test_gps_and_camera_details_are_stripped_from_a_jpeg(client, csrf, listing, uploads):
    assert _upload(client, csrf, listing, (jpeg_with_gps(), "from-my-phone.jpg")).status_code == 302
    (photo,) = _images(listing)
    for variant in ("card", "gallery"):
        data = uploads.get(photo[variant]["path"])
        stored = Image.open(BytesIO(data))
        assert not stored.getexif()
        assert not stored.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert "exif" not in stored.info and "xmp" not in stored.info and "icc_profile" not in stored.info
        assert b"Exif" not in data and b"PhoneCo" not in data and b"GPS" not in data


def test_the_exif_orientation_is_applied_before_it_is_dropped(client, csrf, listing, uploads):
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # the camera was turned: show rotated 90° clockwise
    data = image_bytes("JPEG", (800, 600), exif=exif)
    assert _upload(client, csrf, listing, (data, "turned.jpg")).status_code == 302
    (photo,) = _images(listing)
    assert (photo["gallery"]["width"], photo["gallery"]["height"]) == (600, 800)


def test_photos_are_served_with_their_type_nosniff_and_a_long_cache(client, csrf, listing, uploads):
    _upload(client, csrf, listing, (image_bytes("JPEG"), "a.jpg"))
    (photo,) = _images(listing)
    response = client.get(f"/media/{photo['card']['path']}")
    assert response.status_code == 200
    assert response.mimetype == "image/webp"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    again = client.get(f"/media/{photo['card']['path']}", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize(
    "path",
    [
        "photos/1/missing.webp",
        "attachments/1/2/secret.pdf",  # never public, even if it exists
        "photos/../../secret_key.webp",
        "photos/1/.hidden.webp",
        "photos/1/x.html",
        "%2e%2e/%2e%2e/secret_key",
    ],
)
def test_media_serves_only_existing_public_photos(client, uploads, path):
    uploads.put("attachments/1/2/secret.pdf", pdf_bytes())
    assert client.get(f"/media/{path}").status_code == 404


def test_a_listing_holds_at_most_eight_photos_across_uploads(client, csrf, listing, uploads):
    colors = [
        "#111111",
        "#222222",
        "#333333",
        "#444444",
        "#555555",
        "#666666",
        "#777777",
        "#888888",
        "#999999",
    ]
    files = [(image_bytes("PNG", (64, 48), color), f"p{n}.png") for n, color in enumerate(colors)]
    assert _upload(client, csrf, listing, *files[:6]).status_code == 302
    response = _upload(client, csrf, listing, *files[6:])
    assert response.status_code == 422
    assert "at most 8 photos here: 6 already, and you chose 3. Choose at most 2." in response.get_data(
        as_text=True
    )
    assert len(_images(listing)) == 6 and len(stored_files(uploads)) == 12
    assert _upload(client, csrf, listing, *files[6:8]).status_code == 302
    page = client.get(f"/dashboard/listings/{listing.id}/photos").get_data(as_text=True)
    assert "8 of 8 photos" in page and 'name="photos"' not in page and "the most it can have" in page


def test_the_same_photo_twice_is_refused(client, csrf, listing, uploads):
    data = image_bytes("JPEG")
    assert _upload(client, csrf, listing, (data, "a.jpg")).status_code == 302
    response = _upload(client, csrf, listing, (data, "copy.jpg"))
    assert response.status_code == 422
    assert escape("“copy.jpg” is already one of this listing's photos.") in response.get_data(as_text=True)
    assert len(_images(listing)) == 1 and len(stored_files(uploads)) == 2


# --- bad files: a clear message, nothing saved, no file left behind ---------------------------------------------

BAD_FILES = [
    pytest.param(
        [(image_bytes("PNG"), "really-a-png.jpg")],
        "“really-a-png.jpg” is a PNG image, not a JPEG image as its name says.",
        id="png-named-jpg",
    ),
    pytest.param(
        [(b"<html><script>alert(1)</script></html>", "page.jpg")],
        "“page.jpg” is not a JPEG image: its content is something else.",
        id="html-named-jpg",
    ),
    pytest.param(
        [(pdf_bytes(), "scan.webp")],
        "“scan.webp” is a PDF, not a WebP image as its name says.",
        id="pdf-named-webp",
    ),
    pytest.param(
        [(image_bytes("GIF"), "cat.gif")],
        "“cat.gif”: only JPEG, PNG or WebP files are accepted.",
        id="gif",
    ),
    pytest.param([(image_bytes("JPEG"), "no-extension")], "only JPEG, PNG or WebP", id="no-extension"),
    pytest.param(
        [(image_bytes("JPEG", quality=95)[:4000], "cut.jpg")],
        "“cut.jpg” could not be read: the file looks damaged or incomplete.",
        id="truncated",
    ),
    pytest.param(
        [(b"\xff\xd8\xff" + b"\0" * MAX_FILE_BYTES, "huge.jpg")],
        "“huge.jpg” is larger than 10 MB.",
        id="oversized",
    ),
    pytest.param(
        [(png_claiming(7_000, 7_000), "bomb.png")],
        "“bomb.png” has too many pixels; images can have at most 40 megapixels.",
        id="over-the-pixel-limit",
    ),
    pytest.param(
        [(png_claiming(60_000, 60_000), "bomb.png")],
        "“bomb.png” has too many pixels",
        id="decompression-bomb",
    ),
    pytest.param([(b"", "empty.jpg")], "“empty.jpg” is empty (0 bytes).", id="zero-bytes"),
    pytest.param(
        [(image_bytes("JPEG"), "../x.jpg")], "“../x.jpg” includes a folder path.", id="dot-dot-path"
    ),
    pytest.param(
        [(image_bytes("JPEG"), "C:\\Users\\me\\x.jpg")], "includes a folder path", id="windows-path"
    ),
    pytest.param([(image_bytes("JPEG"), "/etc/x.jpg")], "includes a folder path", id="absolute-path"),
    pytest.param([(image_bytes("JPEG"), "a\x07b.jpg")], "control characters", id="control-character"),
    pytest.param(
        [(image_bytes("PNG", (40, 30), f"#{n:02x}0000"), f"p{n}.png") for n in range(9)],
        "at most 8 photos here: 1 already, and you chose 9. Choose at most 7.",
        id="too-many-files",
    ),
    pytest.param([], "Choose one or more photos to upload.", id="nothing-chosen"),
    pytest.param(
        [(image_bytes("JPEG"), "good.jpg"), (b"", "empty.png")],
        "“empty.png” is empty",  # one bad file refuses the whole upload: the good one is not saved either
        id="one-bad-among-good",
    ),
]


@pytest.mark.parametrize(("files", "message"), BAD_FILES)
def test_a_bad_file_is_refused_with_a_message_and_nothing_is_saved(
    client, csrf, listing, uploads, files, message
):
    listing.images = ["https://old.example/a.jpg"]
    db.session.flush()
    response = _upload(client, csrf, listing, *files)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert escape(message) in html
    assert 'id="photos-error"' in html and 'aria-invalid="true"' in html
    assert _images(listing) == ["https://old.example/a.jpg"]
    assert stored_files(uploads) == []


def test_a_failure_after_the_files_are_written_removes_them_again(
    client, csrf, listing, uploads, monkeypatch
):
    def fail() -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(db.session, "commit", fail)
    response = _upload(client, csrf, listing, (image_bytes("JPEG"), "a.jpg"))
    monkeypatch.undo()
    assert response.status_code == 500
    assert stored_files(uploads) == []


def test_a_request_over_the_upload_size_is_refused_with_the_limits(client, csrf, app, listing, monkeypatch):
    monkeypatch.setattr(app.view_functions["marketplace.upload_photos"], "upload_limit", 2000)
    response = _upload(client, csrf, listing, (image_bytes("PNG", (300, 300)), "a.png"))
    assert response.status_code == 413
    assert "choose at most 8 photos, each at most 10 MB" in response.get_data(as_text=True)


def test_other_requests_keep_the_small_body_limit(client, csrf, seller):
    response = client.post(
        "/dashboard/listings/new",
        data={"csrf_token": csrf(), "description": "x" * (2 * 1024 * 1024)},
    )
    assert response.status_code == 413


# --- order and removal ---------------------------------------------------------------------------------------


@pytest.fixture
def three_photos(client, csrf, listing, uploads):
    files = [
        (image_bytes("PNG", (64, 48), color), f"{color[1:]}.png")
        for color in ("#aa0000", "#00aa00", "#0000aa")
    ]
    assert _upload(client, csrf, listing, *files).status_code == 302
    return _images(listing)


def _arrange(client, csrf, listing, **form):
    return client.post(
        f"/dashboard/listings/{listing.id}/photos/arrange", data={"csrf_token": csrf(), **form}
    )


def test_position_numbers_reorder_the_photos(client, csrf, listing, three_photos):
    red, green, blue = (photo["id"] for photo in three_photos)
    response = _arrange(
        client, csrf, listing, **{f"position-{red}": "3", f"position-{green}": "1", f"position-{blue}": "2"}
    )
    assert response.status_code == 302
    assert [photo["id"] for photo in _images(listing)] == [green, blue, red]


def test_move_buttons_move_one_photo_one_place(client, csrf, listing, three_photos):
    red, green, blue = (photo["id"] for photo in three_photos)
    _arrange(client, csrf, listing, move=f"{blue}:up")
    assert [photo["id"] for photo in _images(listing)] == [red, blue, green]
    _arrange(client, csrf, listing, move=f"{red}:down")
    assert [photo["id"] for photo in _images(listing)] == [blue, red, green]
    _arrange(client, csrf, listing, move=f"{blue}:up")  # already first: stays
    assert [photo["id"] for photo in _images(listing)] == [blue, red, green]


def test_removing_a_photo_deletes_its_files(client, csrf, listing, uploads, three_photos):
    red, green, blue = three_photos
    response = _arrange(client, csrf, listing, remove=[green["id"]])
    assert response.status_code == 302
    assert [photo["id"] for photo in _images(listing)] == [red["id"], blue["id"]]
    remaining = stored_files(uploads)
    assert len(remaining) == 4
    assert green["card"]["path"] not in remaining and green["gallery"]["path"] not in remaining


@pytest.mark.parametrize("position", ["0", "4", "two", "1.5", "٢"])
def test_a_position_outside_one_to_n_is_refused(client, csrf, listing, three_photos, position):
    before = _images(listing)
    response = _arrange(client, csrf, listing, **{f"position-{three_photos[0]['id']}": position})
    assert response.status_code == 422
    assert "Positions are numbers from 1 to 3" in response.get_data(as_text=True)
    assert _images(listing) == before


def test_a_pasted_address_shows_as_a_link_and_can_be_removed(client, csrf, listing, uploads):
    listing.images = ["https://old.example/a.jpg", 42, {"what": "else"}]
    db.session.flush()
    page = client.get(f"/dashboard/listings/{listing.id}/photos").get_data(as_text=True)
    assert 'href="https://old.example/a.jpg"' in page and 'src="https://old.example' not in page
    assert "1 of 8 photos" in page
    _upload(client, csrf, listing, (image_bytes("JPEG"), "new.jpg"))
    link_id, photo_id = (item["id"] if isinstance(item, dict) else None for item in _images(listing))
    assert link_id is None  # the link stays a plain string; unreadable elements are dropped on save
    page = client.get(f"/dashboard/listings/{listing.id}/photos").get_data(as_text=True)
    link_item = page.split('name="remove" value="')[1].split('"')[0]
    _arrange(client, csrf, listing, remove=[link_item])
    assert [item["id"] for item in _images(listing)] == [photo_id]


# --- who may change photos -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/dashboard/listings/{id}/photos"),
        ("POST", "/dashboard/listings/{id}/photos"),
        ("POST", "/dashboard/listings/{id}/photos/arrange"),
    ],
)
def test_another_sellers_listing_photos_are_not_found(client, csrf, seller, uploads, method, path):
    other = ServiceListingFactory(images=["https://old.example/a.jpg"])
    data = (
        {"csrf_token": csrf(), "photos": [(BytesIO(image_bytes("JPEG")), "a.jpg")]}
        if method == "POST"
        else None
    )
    response = client.open(path.format(id=other.id), method=method, data=data)
    assert response.status_code == 404
    assert _images(other) == ["https://old.example/a.jpg"] and stored_files(uploads) == []


def test_signed_out_visitors_are_sent_to_sign_in(client, listing):
    client.get("/logout")
    with client.session_transaction() as session:
        session.clear()
    response = client.get(f"/dashboard/listings/{listing.id}/photos")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- what buyers see -----------------------------------------------------------------------------------------


def test_search_cards_show_the_first_photo_and_the_listing_page_a_gallery(
    client, csrf, listing, three_photos
):
    red, green, blue = three_photos
    listing.status = "active"
    db.session.flush()
    _arrange(client, csrf, listing, move=f"{green['id']}:up")
    browse = client.get("/listings?q=golden").get_data(as_text=True)
    assert f'src="/media/{green["card"]["path"]}"' in browse
    assert red["card"]["path"] not in browse
    page = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    gallery = [page.index(f'src="/media/{photo["gallery"]["path"]}"') for photo in (green, red, blue)]
    assert gallery == sorted(gallery)
    assert 'href="#photo-1"' in page and 'id="photo-3"' in page
    assert "Photo 1 of 3: Golden stud" in page


def test_a_card_without_photos_shows_a_placeholder(client):
    ServiceListingFactory(title="Plain listing", images=["https://old.example/a.jpg"])
    html = client.get("/listings?q=plain").get_data(as_text=True)
    assert "result-photo-none" in html and "old.example" not in html
