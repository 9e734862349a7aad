"""Where a buyer finds "Write a review": on the completed sale's card in the conversation (no JavaScript needed),
and afterwards a link to the review instead. The seller, and cards of other statuses, offer none."""

from __future__ import annotations

from app.extensions import db
from marketplace.reviews.writing import set_review_hidden
from marketplace.sales.forms import SaleDetails
from marketplace.sales.invoicing import move_sale, record_sale
from models.types import utcnow
from tests.marketplace.reviews.conftest import page_text, review_form, reviews


def _sale_in(conversation, seller, *, completed: bool) -> int:
    details = SaleDetails(
        amount_cents=8_500, description="Progesterone timing test", transaction_date=utcnow().date()
    )
    sale, _ = record_sale(seller, details, thread=conversation)
    if completed:
        move_sale(sale.id, seller.tenant_id, "completed", seller)
    db.session.commit()
    return sale.id


def test_the_completed_sales_card_offers_the_buyer_a_review_then_links_to_it(
    client, login_as, post, buyer, seller, conversation
):
    sale_id = _sale_in(conversation, seller, completed=True)
    write_link = f'href="/purchases/{sale_id}/review"'
    login_as(buyer)
    assert write_link in page_text(client.get(f"/messages/{conversation.id}"))

    post(f"/purchases/{sale_id}/review", **review_form())

    html = page_text(client.get(f"/messages/{conversation.id}"))
    [review] = reviews()
    assert write_link not in html
    assert (
        "You reviewed this purchase" in html and f'href="/providers/{seller.id}#review-{review.id}"' in html
    )


def test_no_review_link_for_the_seller_or_a_pending_sale(client, login_as, buyer, seller, conversation):
    completed = _sale_in(conversation, seller, completed=True)
    pending = _sale_in(conversation, seller, completed=False)

    login_as(seller)
    assert "/review" not in page_text(client.get(f"/messages/{conversation.id}"))
    login_as(buyer)
    html = page_text(client.get(f"/messages/{conversation.id}"))
    assert f"/purchases/{completed}/review" in html and f"/purchases/{pending}/review" not in html


def test_a_hidden_review_is_no_longer_linked_from_the_card(
    client, login_as, post, buyer, seller, conversation
):
    sale_id = _sale_in(conversation, seller, completed=True)
    login_as(buyer)
    post(f"/purchases/{sale_id}/review", **review_form())
    set_review_hidden(reviews()[0].id, True)
    db.session.commit()

    html = page_text(client.get(f"/messages/{conversation.id}"))

    assert "an administrator has hidden the review" in html
    assert "See your review" not in html and f"/purchases/{sale_id}/review" not in html
