"""Demo data for `make run` and `flask seed-demo`, read from demo/data/*.toml. Every step looks up what it would
create first, so running it twice changes nothing."""

from app.extensions import db
from demo import billing
from demo.marketplace import seed_marketplace
from demo.messaging import seed_messaging
from demo.photos import seed_listing_photos
from demo.reviews import seed_reviews
from demo.sales import seed_sales
from models import cross_tenant

DEMO_PASSWORD = "demo-password-1"  # noqa: S105 - published demo credential, documented in the README
DEMO_LOGINS = [
    "portal:      client@example.com  at /portal/sunny-acres/login",
    "marketplace: buyer@example.com   (buyer) at /login",
    "marketplace: seller@example.com  (service provider, linked to sunny-acres) at /login",
]


# The demo is several breeders' rows at once, and the marketplace's sales between them.
DEMO_DATA = "loading the demo data of several breeders"


def seed_demo(*, photos: bool = True) -> None:
    """photos=False leaves the listings without photos (drawing them is most of the time this takes)."""
    with cross_tenant(DEMO_DATA):
        _seed_everything(photos)
        db.session.flush()  # inside the scope: the database checks each row as it is written


def _seed_everything(photos: bool) -> None:
    billing_demo = billing.load()
    contacts = billing.seed_billing(billing_demo, DEMO_PASSWORD)
    marketplace = seed_marketplace(DEMO_PASSWORD)
    if photos:
        seed_listing_photos(list(marketplace.listings.values()))
    billing.seed_marketplace_sales(billing_demo, contacts, marketplace)
    seed_messaging(marketplace)
    seed_sales(marketplace)
    seed_reviews(marketplace)
