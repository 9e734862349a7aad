"""Demo data for `make run` and `flask seed-demo`. Every step looks up what it would create first, so running
it twice changes nothing."""

from app.demo.billing import seed_billing
from app.demo.marketplace import seed_marketplace
from app.demo.messaging import seed_messaging

DEMO_PASSWORD = "demo-password-1"  # noqa: S105 - published demo credential, documented in the README
DEMO_LOGINS = [
    "portal:      client@example.com  at /portal/sunny-acres/login",
    "marketplace: buyer@example.com   (buyer) at /login",
    "marketplace: seller@example.com  (service provider, linked to sunny-acres) at /login",
]


def seed_demo() -> None:
    tenant = seed_billing(DEMO_PASSWORD)
    users = seed_marketplace(DEMO_PASSWORD, tenant)
    seed_messaging(users)
