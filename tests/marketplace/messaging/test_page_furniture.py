"""Error pages a marketplace user meets while messaging lead somewhere useful."""

from __future__ import annotations

from tests.factories import MarketplaceUserFactory, ServiceListingFactory


def test_an_unverified_user_refused_a_conversation_is_offered_the_confirmation_link(login_as, client):
    listing = ServiceListingFactory()
    login_as(MarketplaceUserFactory(email_verified=False))

    response = client.get(f"/listings/{listing.id}/message")

    assert response.status_code == 403
    assert "Send the link again" in response.get_data(as_text=True)


def test_the_status_badge_stands_apart_from_the_listing_link(login_as, client, listing, buyer):
    from tests.marketplace.messaging.conftest import make_thread

    blocked = make_thread(listing, buyer, [(buyer, "Hello")], status="blocked")
    login_as(buyer)

    page = client.get(f"/messages/{blocked.id}").get_data(as_text=True)

    assert 'View the listing</a> <span class="badge badge-blocked">Blocked</span>' in page
