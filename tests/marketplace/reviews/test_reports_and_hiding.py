"""Anyone signed in (but the author) may report a review, once; an administrator hides it with
`flask marketplace hide-review --id N`, which takes it off the provider's page and out of every rating, and records
it in the audit trail. `unhide-review` shows it again; `reported-reviews` lists what was reported."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from marketplace.reviews.forms import ReviewDetails
from marketplace.reviews.writing import post_review
from models import AuditEvent, ProviderStats, Review
from tests.marketplace.reviews.conftest import page_text, reports, reviews, sale_between


@pytest.fixture
def review(buyer, completed_sale) -> Review:
    written = post_review(buyer, completed_sale.id, ReviewDetails(2, "Late and rude."), throttle=False)
    db.session.commit()
    return written


def cli(app, *args: str):
    return app.test_cli_runner().invoke(args=["marketplace", *args])


# --- reports ---------------------------------------------------------------------------------------------------


def test_a_user_reports_a_review_once(client, login_as, post, stranger, seller, review):
    login_as(stranger)
    assert f'href="/reviews/{review.id}/report"' in page_text(client.get(f"/providers/{seller.id}"))
    assert client.get(f"/reviews/{review.id}/report").status_code == 200

    response = post(f"/reviews/{review.id}/report", reason="offensive")

    assert response.status_code == 303
    assert [(r.review_id, r.reporter_user_id, r.reason) for r in reports()] == [
        (review.id, stranger.id, "offensive")
    ]
    html = page_text(client.get(f"/providers/{seller.id}"))
    assert "You reported this review." in html and f'href="/reviews/{review.id}/report"' not in html

    again = post(f"/reviews/{review.id}/report", reason="spam")
    assert again.status_code == 409
    assert "You have already reported this review." in page_text(again)
    assert len(reports()) == 1


def test_the_provider_may_report_a_review_of_them_but_the_author_may_not(
    client, login_as, post, buyer, seller, review
):
    login_as(seller)
    assert post(f"/reviews/{review.id}/report", reason="not_about_the_service").status_code == 303

    login_as(buyer)
    refused = post(f"/reviews/{review.id}/report", reason="other")
    assert refused.status_code == 403
    assert "This is your own review, so you cannot report it." in page_text(refused)
    assert f'href="/reviews/{review.id}/report"' not in page_text(client.get(f"/providers/{seller.id}"))
    assert [r.reporter_user_id for r in reports()] == [seller.id]


@pytest.mark.parametrize("reason", ["", "because", "OFFENSIVE"])
def test_a_report_needs_a_reason_from_the_list(client, login_as, post, stranger, review, reason):
    login_as(stranger)

    response = post(f"/reviews/{review.id}/report", reason=reason)

    assert response.status_code == 422
    assert "Choose a reason from the list." in page_text(response)
    assert reports() == []


def test_signed_out_visitors_are_sent_to_sign_in_to_report(client, review):
    response = client.get(f"/reviews/{review.id}/report")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


# --- hiding ----------------------------------------------------------------------------------------------------


def test_hide_review_takes_it_off_the_page_and_out_of_the_ratings_and_audits_it(
    app, client, login_as, post, buyer, stranger, seller, tenant, listing, review
):
    other = sale_between(tenant, seller, buyer, listing)
    post_review(buyer, other.id, ReviewDetails(4, "Second visit was fine."), throttle=False)
    db.session.commit()
    login_as(stranger)
    post(f"/reviews/{review.id}/report", reason="offensive")
    before = {path: page_text(client.get(path)) for path in _pages(seller, listing)}
    assert all("3.0" in html and "(2 reviews)" in html for html in before.values()), before
    assert "Late and rude." in before[f"/providers/{seller.id}"]

    listed = cli(app, "reported-reviews")
    assert (
        listed.exit_code == 0
        and f"{review.id}\t1 report(s)\tprovider {seller.id}\tshown\tLate and rude." in listed.output
    )

    result = cli(app, "hide-review", "--id", str(review.id), "--reason", "abusive")

    assert result.exit_code == 0, result.output
    assert f"Review {review.id} is now hidden" in result.output
    after = {path: page_text(client.get(path)) for path in _pages(seller, listing)}
    assert all("4.0" in html and "(1 review)" in html for html in after.values()), after
    assert "Late and rude." not in after[f"/providers/{seller.id}"]
    assert client.get(f"/reviews/{review.id}/report").status_code == 404
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "review.hidden")).all()
    assert (event.actor_kind, event.actor_id, event.subject_table, event.subject_id, event.tenant_id) == (
        "cli",
        None,
        "Review",
        review.id,
        tenant.id,
    )
    assert (event.before, event.after) == ({"hidden": False}, {"hidden": True, "reason": "abusive"})
    assert "\thidden\t" in cli(app, "reported-reviews").output


def _pages(seller, listing) -> list[str]:
    """Where a provider's rating shows: their page, the listing page, and the search cards."""
    return [f"/providers/{seller.id}", f"/listings/{listing.id}", "/listings?q=progesterone"]


def test_hide_twice_changes_nothing_and_unhide_shows_it_again(app, client, seller, review):
    assert cli(app, "hide-review", "--id", str(review.id)).exit_code == 0

    again = cli(app, "hide-review", "--id", str(review.id))
    assert again.exit_code == 0 and f"Review {review.id} is already hidden. Nothing changed." in again.output

    shown = cli(app, "unhide-review", "--id", str(review.id))
    assert shown.exit_code == 0 and f"Review {review.id} is now shown" in shown.output
    assert "Late and rude." in page_text(client.get(f"/providers/{seller.id}"))
    db.session.expire_all()
    stats = db.session.get(ProviderStats, seller.id)
    assert (stats.review_count, stats.rating_sum) == (1, 2)
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.subject_table == "Review").order_by(AuditEvent.id)
    ).all()
    assert actions == ["review.created", "review.hidden", "review.unhidden"]


@pytest.mark.parametrize("review_id", ["2147483647", "0", "x"])
def test_hide_review_of_no_review_fails_clearly(app, review_id):
    result = cli(app, "hide-review", "--id", review_id)
    assert result.exit_code != 0
    assert (
        "No review with id 2147483647." in result.output
        if review_id == "2147483647"
        else "Invalid value" in result.output
    )
    assert reviews() == []
