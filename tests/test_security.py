"""Cross-cutting defences: hostile input answers 4xx (never a 500), error pages keep their headers, and
redirect targets stay on this site."""

from __future__ import annotations

import pytest
from flask import request
from sqlalchemy import text
from werkzeug.exceptions import NotFound

from app import create_app
from app.extensions import db
from models import current_tenant_id
from tests.factories import (
    PASSWORD,
    ContactFactory,
    MarketplaceUserFactory,
    PartyFactory,
    ServiceListingFactory,
    TenantFactory,
)

UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:1/none"
BEYOND_INTEGER = 2**31
BEYOND_BIGINT = 10**20


@pytest.fixture
def seller():
    return MarketplaceUserFactory(user_type="service_provider", email_verified=True)


@pytest.mark.parametrize("number", [BEYOND_INTEGER, BEYOND_BIGINT])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/listings/{}"),
        ("GET", "/dashboard/listings/{}/edit"),
        ("POST", "/dashboard/listings/{}/edit"),
        ("POST", "/dashboard/listings/{}/publish"),
        ("POST", "/dashboard/listings/{}/unpublish"),
    ],
)
def test_ids_too_large_for_the_database_are_not_found(client, csrf, login_as, seller, method, path, number):
    login_as(seller)
    response = client.open(path.format(number), method=method, data={"csrf_token": csrf()})
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "form"),
    [
        ("GET", "/portal/sunny%00/login", None),
        ("GET", "/listings?q=a%00b", None),
        ("GET", "/portal/{slug}/set-password/%00", None),
        ("POST", "/portal/{slug}/login", {"email": "client\x00@example.test", "password": "x"}),
        ("POST", "/portal/{slug}/forgot-password", {"email": "client\x00@example.test"}),
        ("POST", "/login", {"email": "buyer@example.test", "password": "pass\x00word"}),
    ],
)
def test_nul_bytes_anywhere_in_a_request_are_a_bad_request(client, csrf, method, path, form):
    tenant = TenantFactory()
    data = None if form is None else {**form, "csrf_token": csrf()}
    response = client.open(path.format(slug=tenant.slug), method=method, data=data)
    assert response.status_code == 400
    assert "Content-Security-Policy" in response.headers


def test_nul_bytes_cannot_dodge_the_per_account_sign_in_limit(client, csrf, app):
    user = MarketplaceUserFactory(email="victim@example.test")
    token = csrf()
    statuses = []
    for position in range(12):
        email = user.email[:position] + "\x00" + user.email[position:]
        response = client.post(
            "/login", data={"email": email, "password": "wrong-guess", "csrf_token": token}
        )
        statuses.append(response.status_code)
    assert 422 not in statuses[8:]  # never another real password check once the account's limit is reached


def test_a_database_error_for_a_signed_in_user_still_gets_the_friendly_page(
    client, login_as, seller, monkeypatch
):
    import marketplace.listings.routes

    def failing_query(*args, **kwargs):
        db.session.execute(text("SELECT 1/0"))

    monkeypatch.setattr(marketplace.listings.routes, "listing_for_owner_or_404", failing_query)
    login_as(seller)
    response = client.get("/dashboard/listings/1/edit")
    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)
    assert "Content-Security-Policy" in response.headers


@pytest.mark.parametrize(
    "target",
    [
        "/listings\r\nSet-Cookie: stolen=1",
        "/\t/evil.example",
        "/\x0b/evil.example",
        "//evil.example",
        "/\\evil.example",
        "https:evil.example",
        "https://evil.example",
        "javascript:alert(1)",
    ],
)
def test_marketplace_sign_in_never_follows_a_foreign_or_malformed_next(client, csrf, target):
    MarketplaceUserFactory(email="buyer@example.test")
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": "buyer@example.test", "password": PASSWORD, "csrf_token": csrf()},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/listings"


def test_marketplace_sign_in_follows_a_local_next(client, csrf):
    MarketplaceUserFactory(email="buyer@example.test")
    listing = ServiceListingFactory()
    response = client.post(
        "/login",
        query_string={"next": f"/listings/{listing.id}"},
        data={"email": "buyer@example.test", "password": PASSWORD, "csrf_token": csrf()},
    )
    assert response.headers["Location"] == f"/listings/{listing.id}"


PUBLIC_URL = "https://breeders.example"


@pytest.fixture
def public_url(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", PUBLIC_URL)
    app.extensions["outbox"] = []
    return PUBLIC_URL


def _send_session_to(client, host: str) -> None:
    """The browser's session, sent to a request that claims another Host (the test client files cookies by host)."""
    client.set_cookie("session", client.get_cookie("session").value, domain=host)


def _links_in_mail(app) -> list[str]:
    return [
        word
        for message in app.extensions["outbox"]
        for word in message.get_content().split()
        if "://" in word
    ]


@pytest.mark.parametrize(
    ("path", "email"),
    [
        ("/forgot-password", "victim@example.com"),
        ("/portal/{slug}/forgot-password", "victim@example.com"),
        ("/register", "victim@example.com"),  # the "you already have an account" mail
    ],
)
def test_emailed_links_never_point_at_the_host_the_request_claimed(
    app, client, csrf, public_url, path, email
):
    contact = ContactFactory(party=PartyFactory(email=email))
    MarketplaceUserFactory(email=email)
    form = {"email": email, "csrf_token": csrf(), "password": "an unguessable passphrase 42"}
    form.update(first_name="Eve", last_name="Attacker")
    _send_session_to(client, "evil.example")
    client.post(path.format(slug=contact.tenant.slug), data=form, headers={"Host": "evil.example"})
    links = _links_in_mail(app)
    assert links, "no mail with a link was sent"
    assert all(link.startswith(PUBLIC_URL + "/") for link in links), links


def test_message_notification_links_use_the_public_url(app, client, csrf, login_as, public_url):
    buyer = MarketplaceUserFactory()
    listing = ServiceListingFactory()
    login_as(buyer)
    token = csrf()
    _send_session_to(client, "evil.example")
    client.post(
        f"/listings/{listing.id}/message",
        data={"body": "Is Saturday free?", "csrf_token": token},
        headers={"Host": "evil.example"},
    )
    links = _links_in_mail(app)
    assert links and all(link.startswith(PUBLIC_URL + "/messages/") for link in links), links


def _client_address_seen_by(app, **headers: str) -> str:
    with app.test_client() as browser:
        browser.get("/register/check-email", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.2"})
        return request.remote_addr


def test_forwarded_for_headers_are_ignored_unless_proxies_are_configured(monkeypatch):
    monkeypatch.delenv("TRUSTED_PROXIES", raising=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": UNREACHABLE}, env_name="testing")
    # Otherwise anyone could pick a fresh address per request and walk past every per-IP limit.
    assert _client_address_seen_by(app, **{"X-Forwarded-For": "203.0.113.9"}) == "10.0.0.2"


def test_behind_one_configured_proxy_the_client_address_comes_from_its_header(monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXIES", "1")
    app = create_app({"SQLALCHEMY_DATABASE_URI": UNREACHABLE}, env_name="testing")
    # Otherwise every visitor shares the proxy's address, and one of them can exhaust the limits for all.
    forged_then_real = "198.51.100.66, 203.0.113.9"  # only the last hop, added by our proxy, is trusted
    assert _client_address_seen_by(app, **{"X-Forwarded-For": forged_then_real}) == "203.0.113.9"


@pytest.mark.parametrize("failure", [RuntimeError("boom"), NotFound()])
def test_the_portal_tenant_is_forgotten_after_a_request_even_when_the_view_fails(
    client, login_as, monkeypatch, failure
):
    import portal.invoices.routes

    contact = ContactFactory()

    def failing_summary(*args, **kwargs):
        assert current_tenant_id() == contact.tenant_id  # the request did run inside the contact's tenant
        raise failure

    monkeypatch.setattr(portal.invoices.routes, "invoice_summary", failing_summary)
    login_as(contact)
    response = client.get(f"/portal/{contact.tenant.slug}/invoices")
    assert response.status_code in (404, 500)
    assert current_tenant_id() is None  # the next request on this thread starts with no tenant


# ---- the default response headers, and a view's own -----------------------------------------------------------

OWN_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'self'",
    "X-Frame-Options": "SAMEORIGIN",
    "Cache-Control": "private, max-age=5",
}


@pytest.fixture(scope="module")
def header_app():
    """An app of its own, for views that set headers (routes are added before an app's first request); they
    touch no database."""
    from flask import Response

    from app.public_pages import public_page

    app = create_app({"SQLALCHEMY_DATABASE_URI": UNREACHABLE}, env_name="testing")

    def plain() -> str:
        return "plain"

    def own(names: str) -> Response:
        response = Response("own")
        for name in names.split(","):
            # Named in lower case too: a header's name is case-insensitive, so the view's still counts as set.
            response.headers[name.lower() if request.args.get("lower") else name] = OWN_HEADERS[name]
        return response

    def public_plain() -> str:
        return "public"

    def public_own_cache() -> Response:
        return Response("public", headers={"Cache-Control": "public, max-age=3600"})

    app.add_url_rule("/plain", "plain", plain)
    app.add_url_rule("/own/<names>", "own", own)
    app.add_url_rule("/public-plain", "public_plain", public_page(public_plain))
    app.add_url_rule("/public-own-cache", "public_own_cache", public_page(public_own_cache))
    return app


def test_a_view_that_sets_no_headers_gets_every_default(header_app):
    response = header_app.test_client().get("/plain")
    assert response.status_code == 200
    assert response.headers.getlist("Content-Security-Policy") == [
        header_app.config["CONTENT_SECURITY_POLICY"]
    ]
    assert response.headers.getlist("X-Frame-Options") == ["DENY"]
    assert response.headers.getlist("X-Content-Type-Options") == ["nosniff"]
    assert response.headers.getlist("Referrer-Policy") == ["same-origin"]
    assert response.headers.getlist("Cache-Control") == ["no-store"]


@pytest.mark.parametrize("lower", [False, True], ids=["as-named", "lower-case"])
@pytest.mark.parametrize("name", list(OWN_HEADERS))
def test_a_header_the_view_set_is_kept_once_and_the_other_defaults_are_added(header_app, name, lower):
    response = header_app.test_client().get(f"/own/{name}", query_string={"lower": "1" if lower else ""})
    assert response.status_code == 200
    assert response.headers.getlist(name) == [OWN_HEADERS[name]]
    defaults = {
        "Content-Security-Policy": header_app.config["CONTENT_SECURITY_POLICY"],
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }
    for other, value in defaults.items():
        if other != name:
            assert response.headers.getlist(other) == [value], other


def test_a_view_that_sets_all_three_keeps_all_three_once(header_app):
    response = header_app.test_client().get(f"/own/{','.join(OWN_HEADERS)}")
    for name, value in OWN_HEADERS.items():
        assert response.headers.getlist(name) == [value], name
    assert response.headers.getlist("X-Content-Type-Options") == ["nosniff"]


def test_a_public_page_is_cacheable_unless_it_set_its_own_cache_control(header_app):
    client = header_app.test_client()
    public = client.get("/public-plain")
    assert public.headers.getlist("Cache-Control") == ["public, max-age=60"]
    assert public.headers.get("ETag")
    own = client.get("/public-own-cache")
    assert own.headers.getlist("Cache-Control") == ["public, max-age=3600"]
    assert "ETag" not in own.headers  # left alone: the view answered for its own caching
