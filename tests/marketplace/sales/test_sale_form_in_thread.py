"""The conversation page's "Record a sale" form is fetched when the seller opens it (htmx), or opened on a page of
its own without JS; only the seller who may record a sale there gets it, and fetching it changes nothing."""

from __future__ import annotations

import re
from datetime import date

import pytest

from app.extensions import db
from tests.conftest import csrf_token_from
from tests.factories import MarketplaceUserFactory
from tests.marketplace.messaging.conftest import make_thread, thread_messages
from tests.marketplace.sales.conftest import audit_events, sale_form, sales_of

HTMX = {"HX-Request": "true"}


def _record_a_sale(page: str) -> tuple[str, str]:
    """The page's "Record a sale": where htmx fetches the form when it opens, and where its link goes without JS."""
    details = re.search(r'<details class="card thread-sale"[^>]*>.*?</details>', page, re.S)
    assert details, 'the page offers no "Record a sale"'
    fetched = re.search(r'hx-get="([^"]+)" hx-trigger="toggle once"', details.group(0))
    link = re.search(r'<a href="([^"]+)">Open the sale form</a>', details.group(0))
    assert fetched and link
    return fetched.group(1), link.group(1)


def test_the_form_is_fetched_when_opened_and_records_the_sale(client, login_as, conversation, seller, tenant):
    login_as(seller)
    page = client.get(f"/messages/{conversation.id}").get_data(as_text=True)
    assert 'name="amount"' not in page  # not built on every view of the conversation
    fetched, _ = _record_a_sale(page)
    assert fetched == f"/messages/{conversation.id}/sale"

    response = client.get(fetched, headers=HTMX)
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith(f'<form method="post" action="/messages/{conversation.id}/sale"')
    assert "<html" not in fragment and "<h1>" not in fragment  # the form alone, into the open <details>
    assert 'value="Stud service"' in fragment and f'value="{date.today().isoformat()}"' in fragment

    # The browser posts the form as it came, with its own token.
    token = re.search(r'<input type="hidden" name="csrf_token" value="([^"]+)">', fragment)
    assert token
    response = client.post(fetched, data={"csrf_token": token.group(1), **sale_form(amount="99.50")})
    assert response.status_code == 303
    [sale] = sales_of(tenant.id)
    assert (sale.amount_cents, sale.service_description) == (9_950, "Stud service")


def test_without_javascript_the_link_opens_the_form_on_its_own_page_which_keeps_what_was_typed(
    client, login_as, conversation, seller, tenant
):
    login_as(seller)
    _, link = _record_a_sale(client.get(f"/messages/{conversation.id}").get_data(as_text=True))
    response = client.get(link)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h1>Record a sale</h1>" in page
    assert f'<a href="/messages/{conversation.id}">← Back to the conversation</a>' in page
    assert 'value="Stud service"' in page

    typed = sale_form(amount="ten", description="Two puppies", notes="Gate code 42")
    refused = client.post(link, data={"csrf_token": csrf_token_from(page), **typed})
    assert refused.status_code == 422
    again = refused.get_data(as_text=True)
    assert "Enter an amount in dollars, like 45 or 45.50." in again
    assert 'value="ten"' in again and 'value="Two puppies"' in again and "Gate code 42</textarea>" in again
    assert sales_of(tenant.id) == []

    fixed = client.post(link, data={"csrf_token": csrf_token_from(again), **typed, "amount": "120"})
    assert fixed.status_code == 303
    [sale] = sales_of(tenant.id)
    assert (sale.amount_cents, sale.service_description, sale.notes) == (
        12_000,
        "Two puppies",
        "Gate code 42",
    )


def test_fetching_the_form_changes_nothing(client, login_as, conversation, seller, tenant):
    before = [(m.id, m.read_at) for m in thread_messages(conversation.id)]
    login_as(seller)
    for headers in ({}, HTMX):
        assert client.get(f"/messages/{conversation.id}/sale", headers=headers).status_code == 200
    assert sales_of(tenant.id) == [] and audit_events() == []
    # Not a view of the conversation either: the buyer's messages stay unread.
    assert [(m.id, m.read_at) for m in thread_messages(conversation.id)] == before


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_anyone_but_the_seller_gets_404(
    client, login_as, conversation, listing, buyer, other_seller, headers
):
    provider_buyer = MarketplaceUserFactory(
        user_type="both", tenant=listing.provider_user.tenant, tenant_verified=True
    )
    bought = make_thread(listing, provider_buyer, [(provider_buyer, "Hello")])
    for who, thread_id in (
        (buyer, conversation.id),
        (other_seller, conversation.id),
        (provider_buyer, bought.id),
    ):
        login_as(who)
        response = client.get(f"/messages/{thread_id}/sale", headers=headers)
        assert response.status_code == 404, who
        assert 'name="amount"' not in response.get_data(as_text=True)
    for missing in ("/messages/2147483647/sale", "/messages/99999999999/sale"):
        assert client.get(missing, headers=headers).status_code == 404


def test_signed_out_it_asks_to_sign_in(client, conversation):
    path = f"/messages/{conversation.id}/sale"
    response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"] == f"/login?next={path}"
    response = client.get(path, headers=HTMX)
    assert response.status_code == 204 and response.headers["HX-Redirect"].startswith("/login")


def test_a_blocked_conversation_offers_no_form(client, login_as, conversation, seller):
    conversation.status = "blocked"
    db.session.commit()
    login_as(seller)
    for headers in ({}, HTMX):
        response = client.get(f"/messages/{conversation.id}/sale", headers=headers)
        assert response.status_code == 409
        page = response.get_data(as_text=True)
        assert "blocked" in page and 'name="amount"' not in page


def test_a_seller_without_a_verified_breeder_is_told_whom_to_ask(client, login_as, conversation, seller):
    seller.tenant_verified = False
    db.session.commit()
    login_as(seller)
    assert "Open the sale form" not in client.get(f"/messages/{conversation.id}").get_data(as_text=True)
    page = client.get(f"/messages/{conversation.id}/sale").get_data(as_text=True)
    assert "flask marketplace link-tenant" in page and 'name="amount"' not in page


def test_recording_still_needs_the_csrf_token(client, login_as, conversation, seller, tenant):
    login_as(seller)
    client.get(f"/messages/{conversation.id}/sale")
    assert client.post(f"/messages/{conversation.id}/sale", data=sale_form()).status_code == 400
    assert sales_of(tenant.id) == []
