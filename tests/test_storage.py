"""Where uploads live: the S3_* settings (and a half-configured S3 stopping the app with one line), the CSP's
img-src, the filesystem store, and the S3 store against a real S3-compatible server (moto's, over HTTP on
127.0.0.1) with a photo and an attachment going through the app."""

from __future__ import annotations

import os
from collections.abc import Iterator
from io import BytesIO

import pytest
from flask import Flask

from app.config import ConfigError, s3_settings
from app.security import content_security_policy, site_sources
from app.storage import EXTENSION, FilesystemStorage, S3Storage, check_name
from app.uploads import UploadRefused, check_file_name
from tests.cli import run_flask
from tests.factories import MarketplaceUserFactory, ServiceListingFactory
from tests.files import image_bytes, pdf_bytes

UNREACHABLE = "postgresql+psycopg://user:s3cret@127.0.0.1:1/x"
BUCKET = "breeder-uploads"


# --- settings ------------------------------------------------------------------------------------------------


def test_no_s3_setting_means_files_under_the_instance_folder(app):
    assert s3_settings({}) is None
    assert isinstance(app.extensions[EXTENSION], FilesystemStorage)


def test_a_bucket_alone_is_enough_the_rest_is_tidied():
    assert s3_settings({"S3_BUCKET": "b"}) == {"bucket": "b"}
    assert s3_settings(
        {
            "S3_BUCKET": "b",
            "S3_ENDPOINT_URL": "http://127.0.0.1:9000/",
            "S3_PUBLIC_URL": "https://cdn.example.com/files/",
            "S3_PREFIX": "/media/prod/",
            "S3_ACCESS_KEY_ID": "id",
            "S3_SECRET_ACCESS_KEY": "secret",
        }
    ) == {
        "bucket": "b",
        "endpoint_url": "http://127.0.0.1:9000",
        "public_url": "https://cdn.example.com/files",
        "prefix": "media/prod/",
        "access_key_id": "id",
        "secret_access_key": "secret",
    }


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"S3_ENDPOINT_URL": "http://127.0.0.1:9000"}, "S3_ENDPOINT_URL set but S3_BUCKET is missing"),
        ({"S3_BUCKET": "b", "S3_ACCESS_KEY_ID": "id"}, "set both S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY"),
        (
            {"S3_BUCKET": "b", "S3_SECRET_ACCESS_KEY": "x"},
            "set both S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY",
        ),
        ({"S3_BUCKET": "b", "S3_PUBLIC_URL": "cdn.example.com"}, "S3_PUBLIC_URL must be an http(s) address"),
        ({"S3_BUCKET": "b", "S3_PREFIX": "../x"}, "S3_PREFIX must be a key prefix"),
    ],
)
def test_a_half_configured_s3_is_refused(environ, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        s3_settings(environ)


def test_a_half_configured_s3_stops_production_with_one_line():
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("S3_") and key != "DATABASE_URL"
    }
    result = run_flask(
        environment
        | {
            "APP_ENV": "production",
            "SECRET_KEY": "x" * 40,
            "PUBLIC_URL": "https://example.com",
            "MAIL_BACKEND": "log",
            "SINGLE_PROCESS": "1",
            "DATABASE_URL": UNREACHABLE,
            "S3_ACCESS_KEY_ID": "AKIDEXAMPLE",
            "S3_SECRET_ACCESS_KEY": "do-not-print-me",
        },
        "check-db",
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "Error: S3 storage is half-configured: S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY set but S3_BUCKET is missing."
    ]
    assert "do-not-print-me" not in result.stderr + result.stdout


# --- the CSP's img-src ---------------------------------------------------------------------------------------


def _img_src(policy: str) -> str:
    return next(part.strip() for part in policy.split(";") if part.strip().startswith("img-src"))


def test_pages_allow_images_from_this_site_only(client):
    listing = ServiceListingFactory()
    for path in ("/listings", f"/listings/{listing.id}", "/media/photos/1/nothing.webp"):
        assert _img_src(client.get(path).headers["Content-Security-Policy"]) == "img-src 'self'"


def test_with_s3_photos_read_from_its_public_address_that_origin_is_allowed_too():
    sources = site_sources({"S3": {"bucket": "b", "public_url": "https://cdn.example.com/media"}})
    assert _img_src(content_security_policy(sources)) == "img-src 'self' https://cdn.example.com"
    assert site_sources({"S3": {"bucket": "b"}}) == {} and site_sources({"S3": None}) == {}


# --- names ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "../x.webp",
        "photos/../x.webp",
        "/etc/x.webp",
        "photos/1/.x.webp",
        "photos/1/x.exe",
        "x.webp",
        "Photos/1/a.webp",
    ],
)
def test_the_store_refuses_names_the_app_does_not_make(name, tmp_path):
    with pytest.raises(ValueError):
        check_name(name)
    with pytest.raises(ValueError):
        FilesystemStorage(tmp_path).put(name, b"x")


@pytest.mark.parametrize(
    "raw",
    [
        "../x.jpg",
        "..\\x.jpg",
        "C:\\x.jpg",
        "C:x.jpg",
        "dir/x.jpg",
        "\\\\server\\share\\x.jpg",
        "..",
        ".jpg",
        "a\nb.jpg",
    ],
)
def test_a_file_name_with_a_path_or_no_name_is_refused(raw):
    with pytest.raises(UploadRefused):
        check_file_name(raw)


def test_an_ordinary_file_name_is_kept_as_sent():
    assert check_file_name("  Hip scores (2026) – Bella.pdf ") == "Hip scores (2026) – Bella.pdf"


def test_the_filesystem_store_writes_reads_and_deletes(tmp_path):
    store = FilesystemStorage(tmp_path)
    store.put("photos/1/abc.webp", b"one")
    assert store.get("photos/1/abc.webp") == b"one" and store.url("photos/1/abc.webp") is None
    assert [path.name for path in (tmp_path / "photos/1").iterdir()] == ["abc.webp"]  # no temporary file left
    store.delete("photos/1/abc.webp")
    store.delete("photos/1/abc.webp")  # deleting twice is fine
    assert store.get("photos/1/abc.webp") is None


# --- S3, against a real S3-compatible server -----------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_settings_for(s3_endpoint):
    def make(**extra: str) -> dict[str, str]:
        settings = {
            "bucket": BUCKET,
            "endpoint_url": s3_endpoint,
            "region": "us-east-1",
            "access_key_id": "testing",
            "secret_access_key": "testing",
            "addressing_style": "path",
            **extra,
        }
        store = S3Storage(settings)
        existing = {bucket["Name"] for bucket in store.client.list_buckets()["Buckets"]}
        if BUCKET not in existing:
            store.client.create_bucket(Bucket=BUCKET)
        return settings

    return make


@pytest.fixture
def s3_app(app: Flask, s3_settings_for) -> Iterator[S3Storage]:
    previous = app.extensions[EXTENSION]
    store = S3Storage(s3_settings_for(prefix="test-run/"))
    app.extensions[EXTENSION] = store
    try:
        yield store
    finally:
        app.extensions[EXTENSION] = previous


def test_the_s3_store_writes_reads_and_deletes_with_type_and_cache_headers(s3_settings_for):
    store = S3Storage(s3_settings_for(public_url="https://cdn.example.com"))
    store.put("photos/7/abc.webp", b"RIFF....WEBP")
    store.put("attachments/1/2/def.pdf", b"%PDF-1.4")
    assert store.get("photos/7/abc.webp") == b"RIFF....WEBP"
    photo = store.client.head_object(Bucket=BUCKET, Key="photos/7/abc.webp")
    assert (
        photo["ContentType"] == "image/webp"
        and photo["CacheControl"] == "public, max-age=31536000, immutable"
    )
    private = store.client.head_object(Bucket=BUCKET, Key="attachments/1/2/def.pdf")
    assert private["ContentType"] == "application/pdf" and "no-store" in private["CacheControl"]
    assert store.url("photos/7/abc.webp") == "https://cdn.example.com/photos/7/abc.webp"
    assert store.url("attachments/1/2/def.pdf") is None  # never a public address for an attachment
    store.delete("photos/7/abc.webp")
    assert store.get("photos/7/abc.webp") is None


def test_photos_and_attachments_go_through_the_app_into_s3(client, csrf, login_as, s3_app):
    seller = MarketplaceUserFactory(user_type="service_provider")
    listing = ServiceListingFactory(provider_user=seller, title="S3 listing")
    login_as(seller)
    response = client.post(
        f"/dashboard/listings/{listing.id}/photos",
        data={"csrf_token": csrf(), "photos": [(BytesIO(image_bytes("JPEG")), "a.jpg")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    keys = {
        item["Key"] for item in s3_app.client.list_objects_v2(Bucket=BUCKET, Prefix="test-run/")["Contents"]
    }
    assert len(keys) == 2 and all(key.startswith(f"test-run/photos/{listing.id}/") for key in keys)
    card = next(key for key in keys).removeprefix("test-run/")
    served = client.get(f"/media/{card}")  # no S3_PUBLIC_URL: the app serves photos from the bucket
    assert served.status_code == 200 and served.mimetype == "image/webp"
    assert served.data == s3_app.get(card)

    from tests.marketplace.messaging.conftest import make_thread

    buyer = MarketplaceUserFactory()
    thread = make_thread(listing, buyer, [(buyer, "Results?")])
    reply = client.post(
        f"/messages/{thread.id}/reply",
        data={"csrf_token": csrf(), "body": "Attached", "attachments": [(BytesIO(pdf_bytes()), "hips.pdf")]},
        content_type="multipart/form-data",
    )
    assert reply.status_code == 302
    page = client.get(f"/messages/{thread.id}").get_data(as_text=True)
    link = page.split('class="attachment-name"')[0].rsplit('href="', 1)[1].split('"')[0]
    assert client.get(link).data == pdf_bytes()
    login_as(MarketplaceUserFactory())
    assert client.get(link).status_code == 404


def test_a_page_that_widens_its_policy_keeps_the_s3_image_origin(app):
    from flask import Response

    from app.security import _add_headers, allow_on_this_page

    site = {"img-src": ("https://cdn.example.com",)}
    previous = app.config["CSP_SITE_SOURCES"], app.config["CONTENT_SECURITY_POLICY"]
    app.config["CSP_SITE_SOURCES"], app.config["CONTENT_SECURITY_POLICY"] = (
        site,
        content_security_policy(site),
    )
    try:
        with app.test_request_context("/portal/x/invoices/1/pay"):
            allow_on_this_page({"script-src": ("https://js.stripe.com",)})
            policy = _add_headers(Response("x")).headers["Content-Security-Policy"]
    finally:
        app.config["CSP_SITE_SOURCES"], app.config["CONTENT_SECURITY_POLICY"] = previous
    assert _img_src(policy) == "img-src 'self' https://cdn.example.com"
    assert "script-src 'self' https://js.stripe.com" in policy
