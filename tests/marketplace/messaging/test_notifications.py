"""E-mail to the recipient of a new message: at most one per 15 minutes per thread and recipient."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from app.extensions import db
from models import MessageNotification
from tests.factories import MarketplaceUserFactory, ServiceListingFactory


def _outbox(app) -> list:
    return app.extensions.get("outbox", [])


def _age_notifications(minutes: int) -> None:
    db.session.execute(
        update(MessageNotification).values(
            last_sent_at=MessageNotification.last_sent_at - timedelta(minutes=minutes)
        )
    )
    db.session.commit()


def test_the_recipient_is_emailed_about_a_new_conversation(app, login_as, post, buyer, seller, listing):
    login_as(buyer)
    post(f"/listings/{listing.id}/message", body="Do you travel to Round Rock?")
    [mail] = _outbox(app)
    assert mail["To"] == seller.email
    assert "Bailey Buyer" in mail["Subject"]
    body = mail.get_content()
    assert "Do you travel to Round Rock?" in body
    assert "/messages/" in body


def test_at_most_one_email_per_15_minutes_per_thread(app, login_as, post, buyer, seller, conversation):
    login_as(buyer)
    for text in ("one", "two", "three"):
        post(f"/messages/{conversation.id}/reply", body=text)
    assert [m["To"] for m in _outbox(app)] == [seller.email]

    _age_notifications(14)
    post(f"/messages/{conversation.id}/reply", body="four")
    assert len(_outbox(app)) == 1

    _age_notifications(2)  # now 16 minutes since the last e-mail
    post(f"/messages/{conversation.id}/reply", body="five")
    assert [m["To"] for m in _outbox(app)] == [seller.email, seller.email]
    assert "five" in _outbox(app)[-1].get_content()


def test_each_recipient_has_its_own_allowance(app, login_as, post, buyer, seller, conversation):
    login_as(buyer)
    post(f"/messages/{conversation.id}/reply", body="to the seller")
    login_as(seller)
    post(f"/messages/{conversation.id}/reply", body="to the buyer")
    assert [m["To"] for m in _outbox(app)] == [seller.email, buyer.email]


def test_each_thread_has_its_own_allowance(app, login_as, post, buyer, seller, conversation):
    other_listing = ServiceListingFactory(provider_user=seller)
    db.session.commit()
    login_as(buyer)
    post(f"/messages/{conversation.id}/reply", body="about grooming")
    post(f"/listings/{other_listing.id}/message", body="about the other service")
    assert [m["To"] for m in _outbox(app)] == [seller.email, seller.email]


def test_a_refused_message_sends_no_email(app, login_as, post, buyer, conversation):
    login_as(buyer)
    post(f"/messages/{conversation.id}/reply", body="")
    post(f"/messages/{conversation.id}/reply", body="x" * 5001)
    assert _outbox(app) == []


def test_a_subject_with_line_breaks_still_notifies_on_one_header_line(
    app, login_as, post, buyer, seller, listing
):
    login_as(buyer)
    post(f"/listings/{listing.id}/message", subject="Hello\r\nBcc: everyone@example.test", body="Hi")
    [mail] = _outbox(app)
    assert mail["Bcc"] is None
    assert "Hello Bcc: everyone@example.test" in mail["Subject"]


def test_the_email_states_the_configured_interval(app, login_as, post, buyer, listing, monkeypatch):
    monkeypatch.setitem(app.config, "MESSAGE_NOTIFICATION_INTERVAL", timedelta(minutes=5))
    login_as(buyer)
    post(f"/listings/{listing.id}/message", body="Hello")
    [mail] = _outbox(app)
    assert "at most one e-mail about it every 5 minutes." in mail.get_content()


def test_the_email_states_the_default_interval(app, login_as, post, buyer, listing):
    login_as(buyer)
    post(f"/listings/{listing.id}/message", body="Hello")
    [mail] = _outbox(app)
    assert "at most one e-mail about it every 15 minutes." in mail.get_content()


def test_names_and_subjects_with_markup_characters_reach_the_email_as_typed(
    app, login_as, post, seller, listing
):
    buyer = MarketplaceUserFactory(first_name="Tom & Jerry", last_name="<Kennels>")
    login_as(buyer)
    post(f"/listings/{listing.id}/message", subject="Crates & <leads>", body="Size M & L?")
    [mail] = _outbox(app)
    assert mail["Subject"] == "New message from Tom & Jerry <Kennels>: Crates & <leads>"
    body = mail.get_content()
    assert "Tom & Jerry <Kennels> sent you a message about “Crates & <leads>”" in body
    assert "Size M & L?" in body
    assert "&amp;" not in body and "&lt;" not in body
