"""Rules written once on the model (hybrid properties) give the same answer in Python and in SQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import aliased

from app.extensions import db
from models import Invoice, InvoiceStatus, MarketplaceUser, UserStatus
from tests.factories import InvoiceFactory, MarketplaceUserFactory

NAMES = [
    # (first_name, last_name, email, shown as)
    ("Ada", "Lovelace", "ada@example.test", "Ada Lovelace"),
    ("Ada", None, "ada@example.test", "Ada"),
    (None, "Lovelace", "ada@example.test", "Lovelace"),
    ("", "Lovelace", "ada@example.test", "Lovelace"),
    ("Ada", "", "ada@example.test", "Ada"),
    (None, None, "ada.l@example.test", "ada.l"),
    ("", "", "ada.l@example.test", "ada.l"),
    ("", None, "no-at-sign", "no-at-sign"),
    ("Jean Luc", "de la Tour", "jl@example.test", "Jean Luc de la Tour"),
]


@pytest.mark.parametrize(("first", "last", "email", "shown"), NAMES)
def test_a_users_display_name_is_the_same_on_a_page_and_in_a_query(first, last, email, shown):
    user = MarketplaceUserFactory(first_name=first, last_name=last, email=email)
    db.session.flush()

    in_sql = db.session.scalar(select(MarketplaceUser.display_name).where(MarketplaceUser.id == user.id))
    other = aliased(MarketplaceUser)
    through_alias = db.session.scalar(select(other.display_name).where(other.id == user.id))
    assert (user.display_name, in_sql, through_alias) == (shown, shown, shown)


STANDING = [
    (None, True),
    (UserStatus.ACTIVE, True),
    (UserStatus.SUSPENDED, False),
    (UserStatus.BANNED, False),
]


@pytest.mark.parametrize(("status", "in_good_standing"), STANDING)
def test_good_standing_is_the_same_in_python_and_in_sql(status, in_good_standing):
    user = MarketplaceUserFactory(status=status)
    db.session.flush()

    def found(condition) -> bool:
        return (
            db.session.scalar(select(MarketplaceUser.id).where(MarketplaceUser.id == user.id, condition))
            is not None
        )

    assert user.in_good_standing is in_good_standing
    assert user.not_in_good_standing is not in_good_standing
    assert found(MarketplaceUser.in_good_standing) is in_good_standing
    assert found(MarketplaceUser.not_in_good_standing) is not in_good_standing


def test_not_in_good_standing_is_the_exact_complement_including_a_null_status():
    users = [MarketplaceUserFactory(status=status) for status, _ in STANDING]
    db.session.flush()
    ids = [user.id for user in users]

    def matching(condition) -> set[int]:
        return set(
            db.session.scalars(select(MarketplaceUser.id).where(MarketplaceUser.id.in_(ids), condition))
        )

    good, not_good = (
        matching(MarketplaceUser.in_good_standing),
        matching(MarketplaceUser.not_in_good_standing),
    )
    assert good.isdisjoint(not_good)
    assert good | not_good == set(ids)
    assert good == {user.id for user in users if user.in_good_standing}


@pytest.mark.parametrize("status", list(InvoiceStatus))
def test_an_invoice_is_open_in_python_exactly_when_it_is_open_in_sql(status):
    invoice = InvoiceFactory(status=status)
    db.session.flush()

    in_sql = db.session.scalar(select(Invoice.id).where(Invoice.id == invoice.id, Invoice.is_open))
    assert invoice.is_open is (in_sql is not None)
    assert invoice.is_open is (status in (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID))
