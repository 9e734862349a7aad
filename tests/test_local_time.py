"""Times on the reader's clock: the stored IANA zone with its abbreviation, UTC (saying so) while unknown, and the
zone taken from the browser at the first sign-in that sends a valid one."""

from __future__ import annotations

from datetime import datetime

import pytest

from app.extensions import db
from tests.factories import PASSWORD, ContactFactory, MarketplaceUserFactory, PartyFactory, TenantFactory
from tests.marketplace.messaging.conftest import make_thread

MOMENT = datetime(2026, 11, 27, 8, 40)  # stored as naive UTC, like every spec timestamp


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("America/Chicago", "Nov 27, 02:40 CST"),
        ("Europe/Berlin", "Nov 27, 09:40 CET"),
        ("Asia/Kolkata", "Nov 27, 14:10 IST"),
        (None, "Nov 27, 08:40 UTC"),
        ("Not/AZone", "Nov 27, 08:40 UTC"),  # a bad stored value never breaks a page
    ],
)
def test_a_message_is_stamped_on_the_readers_clock(client, login_as, zone, shown):
    seller = MarketplaceUserFactory(user_type="service_provider")
    reader = MarketplaceUserFactory(time_zone=zone)
    from tests.factories import ServiceListingFactory

    thread = make_thread(ServiceListingFactory(provider_user=seller), reader, [(seller, "Morning!")])
    thread_message = db.session.execute(
        db.text('UPDATE "Message" SET created_at = :at WHERE thread_id = :id RETURNING id'),
        {"at": MOMENT, "id": thread.id},
    )
    assert thread_message.rowcount == 1
    thread.last_message_at = MOMENT
    db.session.commit()
    login_as(reader)

    assert shown in client.get(f"/messages/{thread.id}").get_data(as_text=True)
    assert shown in client.get(f"/messages/{thread.id}/updates?after=0&seen=0").get_data(as_text=True)
    assert shown in client.get("/messages").get_data(as_text=True)


def test_the_first_sign_in_keeps_the_browsers_zone_and_later_ones_do_not_replace_it(client, csrf):
    user = MarketplaceUserFactory(email="tz@example.test", email_verified=True)
    db.session.commit()

    def sign_in(zone: str):
        return client.post(
            "/login",
            data={"email": "tz@example.test", "password": PASSWORD, "time_zone": zone, "csrf_token": csrf()},
        )

    assert sign_in("America/Chicago").status_code == 302
    db.session.refresh(user)
    assert user.time_zone == "America/Chicago"
    client.post("/logout", data={"csrf_token": csrf()})
    assert sign_in("Europe/Berlin").status_code == 302
    db.session.refresh(user)
    assert user.time_zone == "America/Chicago"


@pytest.mark.parametrize(
    "hostile", ["", "Local", "<script>alert(1)</script>", "../../etc/passwd", "x" * 500, "UTC\n"]
)
def test_anything_but_an_iana_zone_is_ignored_at_sign_in(client, csrf, hostile):
    user = MarketplaceUserFactory(email="tz@example.test", email_verified=True)
    db.session.commit()
    response = client.post(
        "/login",
        data={"email": "tz@example.test", "password": PASSWORD, "time_zone": hostile, "csrf_token": csrf()},
    )
    assert response.status_code == 302  # the sign-in itself is unaffected
    db.session.refresh(user)
    assert user.time_zone is None


def test_a_wrong_password_stores_nothing(client, csrf):
    user = MarketplaceUserFactory(email="tz@example.test", email_verified=True)
    db.session.commit()
    client.post(
        "/login",
        data={"email": "tz@example.test", "password": "wrong-password-9", "time_zone": "Asia/Tokyo",
              "csrf_token": csrf()},
    )  # fmt: skip
    db.session.refresh(user)
    assert user.time_zone is None


def test_registration_keeps_the_browsers_zone(client, csrf):
    client.post(
        "/register",
        data={
            "email": "new.tz@example.com",
            "password": "violet-lantern-harbor-42",
            "first_name": "New",
            "last_name": "Person",
            "user_type": "service_provider",
            "time_zone": "America/Denver",
            "csrf_token": csrf(),
        },
    )
    from models import MarketplaceUser

    user = db.session.execute(db.select(MarketplaceUser).filter_by(email="new.tz@example.com")).scalar_one()
    assert user.time_zone == "America/Denver"


def test_a_portal_client_sees_a_payment_on_the_day_it_was_on_their_clock(client, csrf):
    from tests.factories import InvoiceFactory, PaymentFactory

    tenant = TenantFactory(slug="tz-kennels", name="TZ Kennels")
    contact = ContactFactory(
        party=PartyFactory(tenant=tenant, email="client@tz.test"), email="client@tz.test"
    )
    invoice = InvoiceFactory(client_party=contact.party, number="TZ-1")
    PaymentFactory(invoice=invoice, paid_at=datetime(2026, 11, 27, 2, 30))  # Nov 26, 20:30 in Chicago
    db.session.commit()

    response = client.post(
        "/portal/tz-kennels/login",
        data={
            "email": "client@tz.test",
            "password": PASSWORD,
            "time_zone": "America/Chicago",
            "csrf_token": csrf(),
        },
    )
    assert response.status_code == 302
    db.session.refresh(contact)
    assert contact.time_zone == "America/Chicago"
    page = client.get(f"/portal/tz-kennels/invoices/{invoice.id}").get_data(as_text=True)
    assert "Nov 26, 2026" in page and "Nov 27, 2026" not in page
