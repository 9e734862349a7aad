"""Public pages (app/public_pages.py): a signed-out visitor's browse, listing and provider
pages start no session and may be cached; everything signed in, or carrying session data, stays no-store."""

from __future__ import annotations

import pytest
from flask import Response

from app.public_pages import cache_if_public, header_names
from tests.conftest import CSRF_RE
from tests.factories import ContactFactory, MarketplaceUserFactory, ServiceListingFactory


@pytest.fixture
def listing():
    return ServiceListingFactory(title="Field training for pointers")


@pytest.mark.parametrize("path", ["/", "/listings?category=grooming", "listing", "provider"])
def test_a_signed_out_visitor_gets_a_shared_cacheable_page_and_no_cookie(client, listing, path):
    path = {"listing": f"/listings/{listing.id}", "provider": f"/providers/{listing.provider_user_id}"}.get(
        path, path
    )
    response = client.get(path)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert not CSRF_RE.search(response.get_data(as_text=True))
    # The page differs by htmx request and by session, and says so to caches.
    assert {"HX-Request", "Cookie"} <= set(response.vary)


def test_the_same_page_again_is_not_modified(client, listing):
    first = client.get("/")
    again = client.get("/", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.get_data() == b""


def test_the_htmx_results_block_is_cacheable_too_and_differs_from_the_page(client, listing):
    block = client.get("/listings", headers={"HX-Request": "true"})
    page = client.get("/listings")
    assert block.headers["Cache-Control"] == page.headers["Cache-Control"] == "public, max-age=60"
    assert block.headers["ETag"] != page.headers["ETag"]


def test_a_signed_in_visitor_gets_no_store_and_a_token_on_the_same_page(client, login_as, listing):
    login_as(MarketplaceUserFactory())
    response = client.get("/")
    assert response.headers["Cache-Control"] == "no-store"
    assert CSRF_RE.search(response.get_data(as_text=True))


def test_signed_in_private_pages_stay_no_store(client, login_as):
    login_as(MarketplaceUserFactory())
    response = client.get("/messages")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_a_portal_page_stays_no_store(client, login_as):
    contact = ContactFactory()
    login_as(contact)
    response = client.get(f"/portal/{contact.tenant.slug}/invoices")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_a_flashed_message_makes_the_page_the_visitors_own(client, listing):
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "You were signed out.")]
    response = client.get("/")
    assert "You were signed out." in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


def test_pages_with_forms_still_carry_a_token_and_stay_no_store(client):
    response = client.get("/login")
    assert CSRF_RE.search(response.get_data(as_text=True))
    assert response.headers["Cache-Control"] == "no-store"


def test_errors_are_not_cached(client):
    response = client.get("/listings/2147483647")
    assert response.status_code == 404
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("own", "cache_control"),
    [({"cache-control": "max-age=5"}, ["max-age=5"]), ({"Set-Cookie": "theme=dark"}, [])],
    ids=["own-cache-control", "a-cookie"],
)
def test_a_public_response_with_its_own_caching_or_a_cookie_is_left_alone(app, own, cache_control):
    with app.test_request_context("/"):
        response = Response("page", headers=own)
        assert cache_if_public(response) is False
        assert cache_if_public(response, header_names(response)) is False
        assert response.headers.getlist("Cache-Control") == cache_control
        assert "ETag" not in response.headers
        plain = Response("page")
        assert cache_if_public(plain) is True
        assert plain.headers.getlist("Cache-Control") == ["public, max-age=60"]


# ---- conditional requests: werkzeug's make_conditional, run only when the request asks -------------------------


@pytest.fixture
def public_page(client, listing) -> Response:
    page = client.get("/listings?category=grooming")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "public, max-age=60"
    assert page.headers["ETag"]
    assert "Field training for pointers" in page.get_data(as_text=True)
    return page


def test_a_revalidation_with_the_pages_etag_is_not_modified(client, public_page):
    again = client.get("/listings?category=grooming", headers={"If-None-Match": public_page.headers["ETag"]})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == public_page.headers["ETag"]
    head = client.head("/listings?category=grooming", headers={"If-None-Match": public_page.headers["ETag"]})
    assert head.status_code == 304


# What each conditional header gets, as werkzeug's make_conditional answers it (the same before the page was made
# conditional only on request, at e297577): the page has an ETag and no Last-Modified, and accepts no ranges.
@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"If-None-Match": '"stale"'}, 200),
        ({"If-None-Match": "*"}, 304),
        ({"If-Modified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"}, 200),
        ({"If-Match": '"stale"'}, 412),
        ({"If-Unmodified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"}, 200),
        ({"Range": "bytes=0-9"}, 200),
        ({"Range": "bytes=0-9", "If-Range": '"stale"'}, 200),
    ],
    ids=[
        "stale-etag",
        "any-etag",
        "modified-since",
        "if-match-stale",
        "unmodified-since",
        "range",
        "if-range",
    ],
)
def test_a_conditional_request_is_answered_as_werkzeug_answers_it(client, public_page, headers, status):
    response = client.get("/listings?category=grooming", headers=headers)
    assert response.status_code == status
    if status == 200:
        # The whole page: no part of it, and the same page as asked plainly.
        assert response.get_data() == public_page.get_data()
        assert "Content-Range" not in response.headers
        assert response.headers["ETag"] == public_page.headers["ETag"]
        assert response.headers["Cache-Control"] == "public, max-age=60"
    elif status == 304:
        assert response.get_data() == b""
