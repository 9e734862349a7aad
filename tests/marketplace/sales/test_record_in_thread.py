"""The seller records a sale in a conversation: a pending sale, its audit event and a deal card, in one commit."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.factories import MarketplaceUserFactory
from tests.marketplace.messaging.conftest import thread_messages
from tests.marketplace.sales.conftest import audit_events, sale_form, sales_of


def test_the_seller_records_a_sale_and_the_conversation_shows_its_card(
    client, login_as, post, app, conversation, seller, buyer, tenant, listing
):
    login_as(seller)
    assert "Record a sale" in client.get(f"/messages/{conversation.id}").get_data(as_text=True)
    form = client.get(f"/messages/{conversation.id}/sale", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert 'value="Stud service"' in form  # the listing's title
    assert f'value="{date.today().isoformat()}"' in form

    response = post(
        f"/messages/{conversation.id}/sale", **sale_form(amount="1,234.56", notes="Paid at the gate")
    )

    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/messages/{conversation.id}#latest")
    [sale] = sales_of(tenant.id)
    assert (sale.status, sale.amount_cents, sale.platform_fee_cents, sale.net_payout_cents) == (
        "pending",
        123_456,
        6_173,
        117_283,
    )  # 5 % of $1,234.56 is $61.728, rounded half up to $61.73
    assert (sale.provider_user_id, sale.client_user_id, sale.service_listing_id) == (
        seller.id,
        buyer.id,
        listing.id,
    )
    assert (sale.currency, sale.payment_method, sale.notes, sale.transaction_date) == (
        "USD",
        "card",
        "Paid at the gate",
        date(2026, 11, 20),
    )
    assert sale.client_party_id is None and sale.client_description is None
    [event] = audit_events("sale.recorded")
    assert (event.actor_kind, event.actor_id, event.subject_table, event.subject_id, event.tenant_id) == (
        "marketplace_user",
        seller.id,
        "MarketplaceTransaction",
        sale.id,
        tenant.id,
    )
    assert event.before is None
    assert event.after["amount_cents"] == 123_456 and event.after["status"] == "pending"
    assert event.after["transaction_date"] == "2026-11-20"
    last = thread_messages(conversation.id)[-1]
    assert (last.sender_user_id, last.marketplace_transaction_id) == (seller.id, sale.id)
    assert last.message_text == "Recorded a sale: $1,234.56 — Stud service"

    for who in (seller, buyer):
        login_as(who)
        page = client.get(f"/messages/{conversation.id}").get_data(as_text=True)
        assert f'class="deal-card deal-{sale.id}"' in page
        assert "$1,234.56" in page and "Sale pending" in page


def test_the_fee_follows_the_configured_rate(client, login_as, post, app, conversation, seller, tenant):
    login_as(seller)
    app.config["MARKETPLACE_FEE_BPS"] = 250
    try:
        assert post(f"/messages/{conversation.id}/sale", **sale_form(amount="0.20")).status_code == 303
    finally:
        app.config["MARKETPLACE_FEE_BPS"] = 500
    [sale] = sales_of(tenant.id)
    assert (sale.amount_cents, sale.platform_fee_cents, sale.net_payout_cents) == (
        20,
        1,
        19,
    )  # 0.5 cent rounds up


def test_an_amount_beyond_integer_cents_is_stored_exactly(
    client, login_as, post, conversation, seller, tenant
):
    login_as(seller)
    response = post(f"/messages/{conversation.id}/sale", **sale_form(amount="21474836.48"))
    assert response.status_code == 303
    response = post(f"/messages/{conversation.id}/sale", **sale_form(amount="92233720368547758.07"))
    assert response.status_code == 303
    big, biggest = sales_of(tenant.id)
    assert (big.amount_cents, big.platform_fee_cents, big.net_payout_cents) == (
        2_147_483_648,
        107_374_182,
        2_040_109_466,
    )
    assert biggest.amount_cents == 9_223_372_036_854_775_807
    assert biggest.platform_fee_cents == 461_168_601_842_738_790  # half up of ...789.0035
    assert biggest.net_payout_cents == biggest.amount_cents - biggest.platform_fee_cents


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount", "-5", "The amount cannot be negative."),
        ("amount", "0", "The amount must be more than $0.00."),
        ("amount", "0.00", "The amount must be more than $0.00."),
        ("amount", "ten", "Enter an amount in dollars, like 45 or 45.50."),
        ("amount", "NaN", "Enter an amount in dollars, like 45 or 45.50."),
        ("amount", "12.345", "Use at most 2 decimal places."),
        ("amount", "92233720368547758.08", "The amount can be at most $92,233,720,368,547,758.07."),
        ("amount", "1e999999999", "The amount can be at most $92,233,720,368,547,758.07."),
        ("amount", "", "Enter an amount."),
        ("description", "", "Describe what was sold."),
        ("description", "x" * 501, "Use at most 500 characters."),
        ("transaction_date", "", "Enter the date of the sale, like 2026-11-27."),
        ("transaction_date", "27/11/2026", "Enter the date of the sale, like 2026-11-27."),
        ("transaction_date", (date.today() + timedelta(days=400)).isoformat(), "a year from today"),
        ("transaction_date", "1999-12-31", "Enter a date from Jan 1, 2000"),
        ("payment_method", "bitcoin", "Choose a payment method from the list."),
        ("notes", "n" * 2001, "Use at most 2,000 characters."),
    ],
)
def test_bad_input_is_refused_beside_its_field_and_nothing_is_saved(
    client, login_as, post, conversation, seller, tenant, field, value, message
):
    login_as(seller)
    before = len(thread_messages(conversation.id))
    response = post(f"/messages/{conversation.id}/sale", **sale_form(**{field: value}))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert f'id="{field}-error"' in page
    assert sales_of(tenant.id) == []
    assert audit_events() == []
    assert len(thread_messages(conversation.id)) == before


def test_the_buyer_cannot_record_a_sale_in_their_own_conversation(
    client, login_as, post, conversation, buyer, tenant
):
    login_as(buyer)
    assert "Record a sale" not in client.get(f"/messages/{conversation.id}").get_data(as_text=True)
    response = post(f"/messages/{conversation.id}/sale", **sale_form())
    assert response.status_code == 403
    assert "Only the seller records a sale" in response.get_data(as_text=True)
    assert sales_of(tenant.id) == [] and audit_events() == []


def test_a_provider_buying_from_another_provider_is_the_buyer_there(
    client, login_as, post, listing, seller, tenant
):
    from tests.marketplace.messaging.conftest import make_thread

    provider_buyer = MarketplaceUserFactory(user_type="both", tenant=tenant, tenant_verified=True)
    thread = make_thread(listing, provider_buyer, [(provider_buyer, "Hello")])
    login_as(provider_buyer)
    assert post(f"/messages/{thread.id}/sale", **sale_form()).status_code == 403
    assert sales_of(tenant.id) == []


def test_someone_outside_the_conversation_gets_404(
    client, login_as, post, conversation, other_seller, tenant
):
    login_as(other_seller)
    assert post(f"/messages/{conversation.id}/sale", **sale_form()).status_code == 404
    assert post("/messages/99999999999/sale", **sale_form()).status_code == 404
    assert sales_of(tenant.id) == []


def test_a_blocked_conversation_takes_no_sale(client, login_as, post, conversation, seller, tenant):
    conversation.status = "blocked"
    from app.extensions import db

    db.session.commit()
    login_as(seller)
    assert "Record a sale" not in client.get(f"/messages/{conversation.id}").get_data(as_text=True)
    response = post(f"/messages/{conversation.id}/sale", **sale_form())
    assert response.status_code == 409
    assert "blocked" in response.get_data(as_text=True)
    assert sales_of(tenant.id) == [] and audit_events() == []


@pytest.mark.parametrize(
    ("linked", "verified", "says"), [(False, False, "not linked"), (True, False, "not verified")]
)
def test_a_seller_without_a_verified_breeder_is_told_whom_to_ask_and_nothing_is_saved(
    client, login_as, post, conversation, seller, tenant, linked, verified, says
):
    from app.extensions import db

    seller.tenant_id = tenant.id if linked else None
    seller.tenant_verified = verified
    db.session.commit()
    login_as(seller)
    page = client.get(f"/messages/{conversation.id}").get_data(as_text=True)
    assert "Record sale" not in page and "flask marketplace link-tenant" in page
    before = len(thread_messages(conversation.id))

    response = post(f"/messages/{conversation.id}/sale", **sale_form())
    assert response.status_code == 403
    assert says in response.get_data(as_text=True)
    assert "flask marketplace link-tenant" in response.get_data(as_text=True)
    assert sales_of(tenant.id) == [] and audit_events() == []
    assert len(thread_messages(conversation.id)) == before


def test_without_a_csrf_token_nothing_is_recorded(client, login_as, conversation, seller, tenant):
    login_as(seller)
    response = client.post(f"/messages/{conversation.id}/sale", data=sale_form())
    assert response.status_code == 400
    assert sales_of(tenant.id) == []


def test_recording_a_sale_is_not_held_back_by_the_message_rate_limit(
    client, login_as, post, app, conversation, seller, tenant
):
    app.config["MESSAGE_RATE_LIMIT"] = "1 per hour"
    try:
        login_as(seller)
        assert post(f"/messages/{conversation.id}/reply", body="one").status_code == 302
        assert post(f"/messages/{conversation.id}/reply", body="two").status_code == 429
        assert post(f"/messages/{conversation.id}/sale", **sale_form()).status_code == 303
    finally:
        del app.config["MESSAGE_RATE_LIMIT"]  # not set by default: the limit's default applies
    assert len(sales_of(tenant.id)) == 1


def test_the_buyer_is_emailed_about_the_new_card_like_any_message(
    client, login_as, post, app, conversation, seller, buyer
):
    login_as(seller)
    post(f"/messages/{conversation.id}/sale", **sale_form())
    outbox = app.extensions.get("outbox", [])
    assert [m["To"] for m in outbox] == [buyer.email]
    assert "Recorded a sale: $250.00 — Stud service" in outbox[0].get_content()


def test_a_message_with_a_sale_counts_as_unread_for_the_buyer(
    client, login_as, post, conversation, seller, buyer
):
    from marketplace.messaging.queries import unread_total

    before = unread_total(buyer.id)
    login_as(seller)
    post(f"/messages/{conversation.id}/sale", **sale_form())
    assert unread_total(buyer.id) == before + 1
