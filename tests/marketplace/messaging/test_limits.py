"""Message length, sending throttles, and safe display of what people type."""

from __future__ import annotations

from datetime import timedelta

from app.extensions import db
from marketplace.messaging.text import message_html
from models.types import utcnow
from tests.factories import ServiceListingFactory
from tests.marketplace.messaging.conftest import make_thread, thread_messages


def test_a_message_of_exactly_5000_characters_is_accepted(login_as, post, buyer, conversation):
    login_as(buyer)
    response = post(f"/messages/{conversation.id}/reply", body="x" * 5000)
    assert response.status_code == 302
    assert thread_messages(conversation.id)[-1].message_text == "x" * 5000


def test_over_long_message_is_refused_with_422_and_nothing_is_saved(login_as, post, buyer, conversation):
    login_as(buyer)
    response = post(f"/messages/{conversation.id}/reply", body="x" * 5001)
    assert response.status_code == 422
    assert "at most 5,000 characters" in response.get_data(as_text=True)
    assert len(thread_messages(conversation.id)) == 3


def test_empty_reply_is_refused_with_422_and_the_page_shows_why(login_as, post, buyer, conversation):
    login_as(buyer)
    response = post(f"/messages/{conversation.id}/reply", body=" \n ")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Write a message first." in html
    assert "Great, see you then." in html  # the whole thread page, with the form and its message
    assert len(thread_messages(conversation.id)) == 3


def test_htmx_invalid_reply_returns_just_the_form_with_its_message(login_as, post, buyer, conversation):
    login_as(buyer)
    response = post(f"/messages/{conversation.id}/reply", htmx=True, body="")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<html" not in html
    assert 'id="reply-form"' in html and "Write a message first." in html


def test_line_breaks_count_as_one_character(login_as, post, buyer, conversation):
    login_as(buyer)
    response = post(
        f"/messages/{conversation.id}/reply", body="ab\r\n" * 1250
    )  # 5000 characters once normalized
    assert response.status_code == 302


def test_a_burst_of_messages_is_throttled_with_429(login_as, post, buyer, conversation):
    login_as(buyer)
    statuses = [post(f"/messages/{conversation.id}/reply", body=f"spam {n}").status_code for n in range(31)]
    assert statuses[:30] == [302] * 30
    assert statuses[30] == 429
    assert len(thread_messages(conversation.id)) == 3 + 30


def test_throttled_htmx_reply_keeps_the_text_and_says_why(login_as, post, buyer, conversation):
    login_as(buyer)
    for n in range(30):
        post(f"/messages/{conversation.id}/reply", body=f"spam {n}")
    response = post(f"/messages/{conversation.id}/reply", htmx=True, body="one more")
    html = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "too quickly" in html and "one more" in html


def test_new_accounts_may_start_only_a_few_threads_a_day(login_as, post, buyer):
    listings = ServiceListingFactory.create_batch(4)
    db.session.commit()
    login_as(buyer)
    statuses = [post(f"/listings/{item.id}/message", body="Interested!").status_code for item in listings]
    assert statuses == [302, 302, 302, 429]
    # ...but they can still write in threads they already have.
    assert post(f"/listings/{listings[0].id}/message", body="Still interested").status_code == 302


def test_established_accounts_may_start_more_threads(login_as, post, buyer):
    buyer.created_at = utcnow() - timedelta(days=30)
    listings = ServiceListingFactory.create_batch(5)
    db.session.commit()
    login_as(buyer)
    assert [post(f"/listings/{item.id}/message", body="Hi").status_code for item in listings] == [302] * 5


def test_script_in_a_message_displays_as_text(client, login_as, buyer, seller, listing):
    thread = make_thread(
        listing, buyer, [(buyer, '<script>alert("x")</script> <img src=x onerror=alert(1)>')]
    )
    login_as(seller)
    html = client.get(f"/messages/{thread.id}").get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    inbox = client.get("/messages").get_data(as_text=True)
    assert "<script>alert" not in inbox and "&lt;script&gt;" in inbox


def test_links_are_clickable_with_nofollow_noopener_and_line_breaks_are_kept():
    html = str(message_html("See https://example.com/a?b=1&c=2.\nThanks"))
    assert html == (
        'See <a href="https://example.com/a?b=1&amp;c=2" rel="nofollow noopener" target="_blank">'
        "https://example.com/a?b=1&amp;c=2</a>.<br>\nThanks"
    )


def test_only_http_links_are_made_and_quotes_cannot_break_out_of_the_href():
    html = str(message_html('javascript:alert(1) https://x.org/"onmouseover="alert(1) http://'))
    assert "javascript:alert(1)" in html and 'href="javascript' not in html
    assert 'href="https://x.org/"' in html
    assert 'onmouseover="alert' not in html
    assert "http://" in html and 'href="http://"' not in html


def test_a_url_in_parentheses_keeps_its_own_closing_parenthesis():
    html = str(message_html("(see https://en.wikipedia.org/wiki/Poodle_(dog))"))
    assert 'href="https://en.wikipedia.org/wiki/Poodle_(dog)"' in html
    assert html.endswith("</a>)")
