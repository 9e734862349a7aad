"""The public listing page."""

from __future__ import annotations

from tests.factories import MarketplaceUserFactory, ServiceListingFactory


def test_listing_page_shows_price_place_tags_provider_and_other_listings(client):
    provider = MarketplaceUserFactory(
        user_type="service_provider", first_name="Gwen", last_name="Hale", tenant_verified=True
    )
    listing = ServiceListingFactory(
        provider_user=provider,
        title="Mobile grooming",
        description="First paragraph.\n\nSecond <b>para</b>.",
        price_cents=4500,
        price_type="hourly",
        city="Boise",
        state="ID",
        service_area_miles=40,
        tags=["mobile", "grooming"],
        images=["https://img.example/a.jpg", "javascript:alert(1)", "ftp://x/y.jpg", 42],
    )
    ServiceListingFactory(provider_user=provider, title="Other active one")
    ServiceListingFactory(provider_user=provider, title="Other draft one", status="draft")
    html = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert "$45.00 / hour" in html
    assert "Boise, Idaho" in html and "40 miles" in html
    assert "<p>First paragraph.</p>" in html and "Second &lt;b&gt;para&lt;/b&gt;." in html
    assert "Gwen Hale" in html and "Verified breeder" in html and "Member since" in html
    # An address pasted before uploads is a link, never an embedded image (img-src is 'self').
    assert 'href="https://img.example/a.jpg"' in html and 'src="https://img.example' not in html
    assert "javascript:" not in html and "ftp://" not in html
    assert "Other active one" in html and "Other draft one" not in html
    assert f'href="/listings/{listing.id}/message"' in html


def test_fixed_and_quote_price_labels(client):
    fixed = ServiceListingFactory(price_cents=30000, price_type="fixed")
    quote = ServiceListingFactory(price_cents=None, price_type="quote")
    assert "$300.00 flat rate" in client.get(f"/listings/{fixed.id}").get_data(as_text=True)
    assert "Ask for a quote" in client.get(f"/listings/{quote.id}").get_data(as_text=True)


def test_owner_does_not_see_message_the_seller(client, login_as):
    listing = ServiceListingFactory()
    login_as(listing.provider_user)
    html = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert "Message the seller" not in html


def test_unknown_listing_is_404(client):
    assert client.get("/listings/987654321").status_code == 404
