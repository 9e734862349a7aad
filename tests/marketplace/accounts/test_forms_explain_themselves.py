"""Forms that explain themselves: specific messages, required fields marked before submitting, a show-password
button that degrades to a plain field, "Check your e-mail" naming the address, a signed-out resend that reveals
nothing, and "E-mail confirmed" after confirming."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from models import MarketplaceUser
from tests.factories import MarketplaceUserFactory

NEW_PASSWORD = "violet-lantern-harbor-42"
LINK_RE = re.compile(r"http://localhost(/\S+)")
CSRF_TOKEN = re.compile(r'(?<="X-CSRFToken": ")[^"]+|(?<=name="csrf_token" type="hidden" value=")[^"]+')


def _outbox(app) -> list:
    return app.extensions.setdefault("outbox", [])


def _register(client, csrf, **overrides):
    data = {
        "csrf_token": csrf(),
        "email": "nora@example.com",
        "password": NEW_PASSWORD,
        "first_name": "Nora",
        "last_name": "Kennel",
        "user_type": "buyer",
    }
    return client.post("/register", data={**data, **overrides})


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("email", "Enter your e-mail address."),
        ("password", "Choose a password."),
        ("first_name", "Enter your first name."),
        ("last_name", "Enter your last name."),
    ],
)
def test_registration_says_what_is_missing(client, csrf, field, message):
    response = _register(client, csrf, **{field: ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'<p class="field-error" id="{field}-error">{message}</p>' in html
    assert "This field is required." not in html
    assert (
        db.session.scalar(select(MarketplaceUser).where(MarketplaceUser.email == "nora@example.com")) is None
    )


def test_sign_in_says_what_is_missing(client, csrf):
    html = client.post("/login", data={"csrf_token": csrf(), "email": "", "password": ""}).get_data(
        as_text=True
    )
    assert "Enter your e-mail address." in html and "Enter your password." in html
    assert "This field is required." not in html


@pytest.mark.parametrize("path", ["/register", "/login", "/portal/sunny/login"])
def test_required_fields_are_marked_before_submitting(client, path):
    from tests.factories import TenantFactory

    TenantFactory(slug="sunny")
    html = client.get(path).get_data(as_text=True)
    assert re.search(
        r'<label for="email">E-mail <span class="required-mark">\(required\)</span></label>', html
    )
    assert re.search(r'<label for="password">Password <span class="required-mark">\(required\)</span>', html)


def test_optional_fields_are_not_marked(client, login_as):
    seller = MarketplaceUserFactory(user_type="service_provider")
    login_as(seller)
    html = client.get("/dashboard/listings/new").get_data(as_text=True)
    assert '<label for="title">Title <span class="required-mark">(required)</span></label>' in html
    assert '<label for="city">City</label>' in html
    assert '<label for="tags">Tags</label>' in html


def test_the_price_hint_and_the_price_rule_agree(client, csrf, login_as):
    seller = MarketplaceUserFactory(user_type="service_provider")
    login_as(seller)
    form = client.get("/dashboard/listings/new").get_data(as_text=True)
    assert "Leave empty for" not in form and "Required unless the price type is “Ask for a quote”" in form
    data = {
        "csrf_token": csrf(),
        "title": "Quote only",
        "description": "Ask me.",
        "category": "grooming",
        "state": "TX",
        "zip_code": "78701",
    }
    assert (
        client.post("/dashboard/listings/new", data={**data, "price_type": "quote", "price": ""}).status_code
        == 302
    )
    refused = client.post("/dashboard/listings/new", data={**data, "price_type": "fixed", "price": ""})
    assert refused.status_code == 422 and "Enter a price in dollars" in refused.get_data(as_text=True)


def test_password_fields_carry_a_show_button_that_needs_javascript(client):
    html = client.get("/login").get_data(as_text=True)
    assert re.search(
        r'<button type="button" class="link-button password-toggle" data-password-toggle="password"\s+'
        r'aria-controls="password" aria-pressed="false" hidden>Show</button>',
        html,
    )
    assert 'type="password"' in html  # without JavaScript: a plain password field
    assert "js/password-toggle.js" in html


def test_check_your_email_names_the_address(client, csrf, app):
    _register(client, csrf)
    html = client.get("/register/check-email").get_data(as_text=True)
    assert "We sent a message to <strong>nora@example.com</strong>" in html


def test_the_address_on_check_your_email_is_escaped(client, csrf):
    _register(client, csrf, email="<b>x</b>@example.com")  # refused by the format check: nothing remembered
    html = client.get("/register/check-email").get_data(as_text=True)
    assert "<b>x</b>" not in html


def test_a_signed_out_resend_sends_a_new_link_to_an_unconfirmed_account(client, csrf, app):
    _register(client, csrf)
    sent_before = len(_outbox(app))
    form = client.get("/register/resend").get_data(as_text=True)
    assert 'value="nora@example.com"' in form  # prefilled from the registration

    response = client.post("/register/resend", data={"csrf_token": csrf(), "email": "nora@example.com"})
    assert response.status_code == 200
    assert len(_outbox(app)) == sent_before + 1
    assert "/verify-email/" in _outbox(app)[-1].get_content()


def test_the_signed_out_resend_reveals_nothing(client, csrf, app):
    MarketplaceUserFactory(email="confirmed@example.com", email_verified=True)
    db.session.commit()
    answers = []
    for address in ("confirmed@example.com", "nobody@example.com"):
        sent_before = len(_outbox(app))
        response = client.post("/register/resend", data={"csrf_token": csrf(), "email": address})
        assert len(_outbox(app)) == sent_before  # no mail to a confirmed account or to nobody
        page = response.get_data(as_text=True).replace(address, "ADDRESS")
        answers.append(CSRF_TOKEN.sub("TOKEN", page))  # the per-page CSRF token carries a timestamp
    assert answers[0] == answers[1]


def test_the_signed_out_resend_is_rate_limited_per_address(client, csrf, app):
    _register(client, csrf)
    statuses = [
        client.post("/register/resend", data={"csrf_token": csrf(), "email": "nora@example.com"}).status_code
        for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]


def test_confirming_says_email_confirmed(client, csrf, app):
    _register(client, csrf)
    link = LINK_RE.search(_outbox(app)[-1].get_content()).group(1)
    client.get(link)
    response = client.post(link, data={"csrf_token": csrf()}, follow_redirects=True)
    assert "E-mail confirmed." in response.get_data(as_text=True)
