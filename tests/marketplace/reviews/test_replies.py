"""The reviewed provider may post one public reply under a review; no one else may, and never a second one."""

from __future__ import annotations

import pytest

from app.extensions import db
from marketplace.reviews.forms import ReviewDetails
from marketplace.reviews.writing import post_review, set_review_hidden
from models import Review
from tests.factories import TenantFactory
from tests.marketplace.reviews.conftest import page_text, reviews
from tests.marketplace.sales.conftest import verified_seller


@pytest.fixture
def review(buyer, completed_sale) -> Review:
    written = post_review(buyer, completed_sale.id, ReviewDetails(5, "Great service."), throttle=False)
    db.session.commit()
    return written


def test_the_provider_replies_once_and_the_reply_shows_under_the_review(
    client, login_as, post, seller, review
):
    login_as(seller)
    provider_page = page_text(client.get(f"/providers/{seller.id}"))
    assert f'href="/reviews/{review.id}/reply"' in provider_page
    assert client.get(f"/reviews/{review.id}/reply").status_code == 200

    response = post(f"/reviews/{review.id}/reply", text="Thank you, <Bailey>!")

    assert response.status_code == 303
    assert response.headers["Location"] == f"/providers/{seller.id}#review-{review.id}"
    [stored] = reviews()
    assert stored.reply_text == "Thank you, <Bailey>!" and stored.replied_at is not None
    html = page_text(client.get(f"/providers/{seller.id}"))
    assert "Reply from Sam Seller" in html and "Thank you, &lt;Bailey&gt;!" in html
    assert f'href="/reviews/{review.id}/reply"' not in html  # no second reply offered


def test_a_second_reply_is_refused(client, login_as, post, seller, review):
    login_as(seller)
    post(f"/reviews/{review.id}/reply", text="First reply.")

    for response in (
        client.get(f"/reviews/{review.id}/reply"),
        post(f"/reviews/{review.id}/reply", text="Second."),
    ):
        assert response.status_code == 409
        assert "You have already replied to this review. A review gets one public reply." in page_text(
            response
        )
    assert reviews()[0].reply_text == "First reply."


@pytest.mark.parametrize("who", ["buyer", "stranger", "other_provider"])
def test_only_the_reviewed_provider_may_reply(client, login_as, post, buyer, stranger, review, who):
    people = {"buyer": buyer, "stranger": stranger, "other_provider": verified_seller(TenantFactory())}
    login_as(people[who])

    for response in (
        client.get(f"/reviews/{review.id}/reply"),
        post(f"/reviews/{review.id}/reply", text="Hi"),
    ):
        assert response.status_code == 403
        assert "Only the provider who was reviewed can reply to this review." in page_text(response)
    assert reviews()[0].reply_text is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Write your reply first."),
        (" \n ", "Write your reply first."),
        ("x" * 1001, "Use at most 1,000 characters."),
    ],
)
def test_an_empty_or_over_long_reply_is_refused(client, login_as, post, seller, review, text, message):
    login_as(seller)

    response = post(f"/reviews/{review.id}/reply", text=text)

    assert response.status_code == 422
    assert message in page_text(response)
    assert reviews()[0].reply_text is None


def test_a_hidden_or_missing_review_cannot_be_replied_to(client, login_as, post, seller, review):
    set_review_hidden(review.id, True)
    db.session.commit()
    login_as(seller)

    for path in (f"/reviews/{review.id}/reply", "/reviews/2147483647/reply"):
        response = post(path, text="Hello")
        assert response.status_code == 404
        assert "We could not find that review." in page_text(response)
    assert reviews()[0].reply_text is None
