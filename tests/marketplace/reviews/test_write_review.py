"""A buyer reviews a completed purchase once: 1-5 stars and a text. The provider, breeder and listing come from the
sale, never from the form; every bad input gets a clear message and saves nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from models import AuditEvent
from tests.factories import MarketplaceUserFactory, TenantFactory
from tests.marketplace.reviews.conftest import page_text, review_form, reviews, sale_between


def test_buyer_reviews_a_completed_purchase_and_it_shows_on_the_providers_page(
    client, login_as, post, buyer, seller, tenant, listing, completed_sale
):
    login_as(buyer)
    form_page = client.get(f"/purchases/{completed_sale.id}/review")
    assert form_page.status_code == 200
    assert "Progesterone timing test" in page_text(form_page) and "Sam Seller" in page_text(form_page)

    response = post(f"/purchases/{completed_sale.id}/review", **review_form(rating="4"))

    [review] = reviews()
    assert response.status_code == 303
    assert response.headers["Location"] == f"/providers/{seller.id}#review-{review.id}"
    assert (review.marketplace_transaction_id, review.reviewer_user_id, review.rating) == (
        completed_sale.id,
        buyer.id,
        4,
    )
    assert (review.provider_user_id, review.provider_tenant_id, review.service_listing_id) == (
        seller.id,
        tenant.id,
        listing.id,
    )
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "review.created")).all()
    assert (event.actor_id, event.subject_table, event.subject_id, event.tenant_id) == (
        buyer.id,
        "Review",
        review.id,
        tenant.id,
    )
    html = page_text(client.get(f"/providers/{seller.id}"))
    assert f'id="review-{review.id}"' in html and "Quick, careful and friendly." in html
    assert (
        "Bailey B." in html and "bailey@example.test" not in html
    )  # first name and initial, never the e-mail


def test_the_form_cannot_name_another_provider_breeder_or_sale(
    client, login_as, post, buyer, seller, tenant, completed_sale
):
    other_seller = MarketplaceUserFactory(user_type="service_provider")
    other_tenant = TenantFactory()
    login_as(buyer)

    post(
        f"/purchases/{completed_sale.id}/review",
        **review_form(
            provider_user_id=str(other_seller.id),
            provider_tenant_id=str(other_tenant.id),
            marketplace_transaction_id="1",
        ),
    )

    [review] = reviews()
    assert (review.provider_user_id, review.provider_tenant_id) == (seller.id, tenant.id)
    assert review.marketplace_transaction_id == completed_sale.id


@pytest.mark.parametrize("status", ["pending", "cancelled", "refunded"])
def test_only_a_completed_sale_can_be_reviewed(client, login_as, post, buyer, seller, tenant, status):
    sale = sale_between(tenant, seller, buyer, status=status)
    login_as(buyer)
    message = f"You can review a purchase once the seller marks it completed. This one is {status}."

    shown = client.get(f"/purchases/{sale.id}/review")
    sent = post(f"/purchases/{sale.id}/review", **review_form())

    for response in (shown, sent):
        assert response.status_code == 409
        assert message in page_text(response)
    assert reviews() == []


def test_a_purchase_is_reviewed_once(client, login_as, post, buyer, completed_sale):
    login_as(buyer)
    assert post(f"/purchases/{completed_sale.id}/review", **review_form()).status_code == 303

    again = post(f"/purchases/{completed_sale.id}/review", **review_form(rating="1", text="Changed my mind"))

    assert again.status_code == 409
    assert "You have already reviewed this purchase. Each purchase can be reviewed once." in page_text(again)
    assert [(review.rating, review.body) for review in reviews()] == [
        (5, "Quick, careful and friendly. Result the same afternoon.")
    ]


def test_the_seller_cannot_review_their_own_sale(client, login_as, post, seller, completed_sale):
    login_as(seller)

    for response in (
        client.get(f"/purchases/{completed_sale.id}/review"),
        post(f"/purchases/{completed_sale.id}/review", **review_form()),
    ):
        assert response.status_code == 403
        assert "This is your own sale. Reviews come from the buyers you sell to." in page_text(response)
    assert reviews() == []


def test_another_users_sale_is_not_found(client, login_as, post, stranger, completed_sale):
    login_as(stranger)

    for path in (f"/purchases/{completed_sale.id}/review", "/purchases/2147483647/review"):
        for response in (client.get(path), post(path, **review_form())):
            assert response.status_code == 404
            assert "We could not find a purchase of yours with this number." in page_text(response)
    assert reviews() == []


@pytest.mark.parametrize("rating", ["0", "6", "-1", "4.5", "five", "", " ", "٣", "99999999999999999999"])
def test_stars_outside_one_to_five_or_not_a_number_are_refused(
    client, login_as, post, buyer, completed_sale, rating
):
    login_as(buyer)

    response = post(f"/purchases/{completed_sale.id}/review", **review_form(rating=rating))

    assert response.status_code == 422
    assert "Choose from 1 to 5 stars." in page_text(response)
    assert reviews() == []


def test_a_review_without_stars_is_refused(client, login_as, post, buyer, completed_sale):
    login_as(buyer)

    response = post(f"/purchases/{completed_sale.id}/review", text="No stars chosen")

    assert response.status_code == 422
    assert "Choose from 1 to 5 stars." in page_text(response)
    assert reviews() == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Write a few words about the service."),
        ("  \r\n\t ", "Write a few words about the service."),
        ("x" * 2001, "Use at most 2,000 characters."),
        ("ab\r\n" * 666 + "xyz", "Use at most 2,000 characters."),  # 2,001 once each CRLF is one newline
    ],
)
def test_empty_or_over_long_text_is_refused(client, login_as, post, buyer, completed_sale, text, message):
    login_as(buyer)

    response = post(f"/purchases/{completed_sale.id}/review", **review_form(text=text))

    assert response.status_code == 422
    assert message in page_text(response)
    assert reviews() == []


def test_text_of_exactly_the_limit_is_kept_with_its_line_breaks(
    client, login_as, post, buyer, completed_sale
):
    login_as(buyer)
    text = "ab\r\n" * 666 + "xy"  # 1,998 + 2 = 2,000 characters once CRLF is one newline

    assert post(f"/purchases/{completed_sale.id}/review", **review_form(text=text)).status_code == 303

    [review] = reviews()
    assert len(review.body) == 2000 and "\r" not in review.body


def test_review_text_is_escaped_on_the_providers_page(client, login_as, post, buyer, seller, completed_sale):
    login_as(buyer)
    post(
        f"/purchases/{completed_sale.id}/review",
        **review_form(text='<script>alert("x")</script> & <b>bold</b>'),
    )

    html = page_text(client.get(f"/providers/{seller.id}"))

    assert "<script>alert" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html


def test_signed_out_visitors_are_sent_to_sign_in(client, completed_sale):
    response = client.get(f"/purchases/{completed_sale.id}/review")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_a_buyer_writes_at_most_the_daily_number_of_reviews(
    app, client, login_as, post, buyer, seller, tenant
):
    first, second = (sale_between(tenant, seller, buyer) for _ in range(2))
    login_as(buyer)
    app.config["REVIEW_RATE_LIMIT"] = "1 per day"
    try:
        assert post(f"/purchases/{first.id}/review", **review_form()).status_code == 303
        refused = post(f"/purchases/{second.id}/review", **review_form())
    finally:
        del app.config["REVIEW_RATE_LIMIT"]

    assert refused.status_code == 429
    assert "You have written as many reviews as allowed for today." in page_text(refused)
    assert [review.marketplace_transaction_id for review in reviews()] == [first.id]


def test_an_invalid_form_does_not_use_up_the_daily_limit(app, client, login_as, post, buyer, completed_sale):
    login_as(buyer)
    app.config["REVIEW_RATE_LIMIT"] = "1 per day"
    try:
        assert post(f"/purchases/{completed_sale.id}/review", **review_form(rating="9")).status_code == 422
        assert post(f"/purchases/{completed_sale.id}/review", **review_form()).status_code == 303
    finally:
        del app.config["REVIEW_RATE_LIMIT"]
