"""`flask marketplace link-tenant --email E --tenant SLUG`: links a marketplace user to a breeder, verified."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from models import AuditEvent, MarketplaceUser
from tests.factories import MarketplaceUserFactory, TenantFactory


@pytest.fixture
def seller():
    return MarketplaceUserFactory(email="seller@example.test", user_type="service_provider")


@pytest.fixture
def sunny():
    return TenantFactory(name="Sunny Acres", slug="sunny-acres")


def link(app, *args: str):
    return app.test_cli_runner().invoke(args=["marketplace", "link-tenant", *args])


def _events(user_id: int) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject_table == "MarketplaceUser", AuditEvent.subject_id == user_id)
            .order_by(AuditEvent.id)
        )
    )


def _reload(user: MarketplaceUser) -> MarketplaceUser:
    db.session.expire_all()
    return db.session.get(MarketplaceUser, user.id)


def test_link_tenant_links_the_user_verified_records_it_and_says_so(app, seller, sunny):
    result = link(app, "--email", " Seller@Example.test ", "--tenant", "sunny-acres")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Linked seller@example.test to Sunny Acres (sunny-acres), verified."
    ]
    user = _reload(seller)
    assert (user.tenant_id, user.tenant_verified) == (sunny.id, True)
    [event] = _events(seller.id)
    assert (event.actor_kind, event.actor_id, event.action) == ("cli", None, "marketplace_user.linked_tenant")
    assert event.tenant_id == sunny.id
    assert event.before == {"tenant_id": None, "tenant_verified": False}
    assert event.after == {"tenant_id": sunny.id, "tenant_verified": True}


def test_link_tenant_moves_a_user_from_another_breeder_and_names_it(app, seller, sunny):
    other = TenantFactory(slug="other-farm")
    seller.tenant_id, seller.tenant_verified = other.id, True
    db.session.flush()

    result = link(app, "--email", "seller@example.test", "--tenant", "sunny-acres")

    assert result.exit_code == 0, result.output
    assert "(was linked to other-farm)" in result.output
    assert _reload(seller).tenant_id == sunny.id
    assert _events(seller.id)[0].before == {"tenant_id": other.id, "tenant_verified": True}


def test_link_tenant_twice_changes_nothing_the_second_time(app, seller, sunny):
    assert link(app, "--email", "seller@example.test", "--tenant", "sunny-acres").exit_code == 0

    again = link(app, "--email", "seller@example.test", "--tenant", "sunny-acres")

    assert again.exit_code == 0, again.output
    assert "already linked to Sunny Acres (sunny-acres), verified. Nothing changed." in again.output
    assert len(_events(seller.id)) == 1


@pytest.mark.parametrize(
    ("email", "slug", "message"),
    [
        (
            "nobody@example.test",
            "sunny-acres",
            "Error: No marketplace user with e-mail 'nobody@example.test'.",
        ),
        ("seller@example.test", "no-such-farm", "Error: No tenant with slug 'no-such-farm'."),
    ],
)
def test_link_tenant_explains_an_unknown_email_or_slug_in_one_line_and_changes_nothing(
    app, seller, sunny, email, slug, message
):
    result = link(app, "--email", email, "--tenant", slug)

    assert result.exit_code == 1
    assert result.output.splitlines() == [message]
    user = _reload(seller)
    assert (user.tenant_id, user.tenant_verified) == (None, False)
    assert _events(seller.id) == []


def test_link_tenant_refuses_to_guess_between_two_users_differing_in_case(app, seller, sunny):
    MarketplaceUserFactory(email="SELLER@example.test")
    db.session.flush()

    result = link(app, "--email", "seller@example.test", "--tenant", "sunny-acres")

    assert result.exit_code == 1
    assert "2 marketplace users have e-mail 'seller@example.test'" in result.output
    assert _events(seller.id) == []


def test_link_tenant_requires_both_options(app):
    result = link(app, "--email", "seller@example.test")
    assert result.exit_code == 2
    assert "Missing option '--tenant'" in result.output
