"""Demo marketplace accounts, listings, and a transaction that became an invoice in the portal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.passwords import hash_password
from models import (
    ALL_TENANTS,
    Contact,
    Invoice,
    InvoiceLineItem,
    MarketplaceTransaction,
    MarketplaceUser,
    ServiceListing,
    Tenant,
)
from models.types import utcnow


@dataclass
class DemoUsers:
    buyer: MarketplaceUser
    seller: MarketplaceUser


def _get_or_create_user(email: str, password: str, **fields: object) -> MarketplaceUser:
    user = db.session.scalar(select(MarketplaceUser).where(MarketplaceUser.email == email))
    if user is None:
        user = MarketplaceUser(
            email=email, password_hash=hash_password(password), email_verified=True, **fields
        )
        db.session.add(user)
        db.session.flush()
    return user


# (title, category, price_cents or None for a quote, price_type, city, state, zip, tags, description)
DemoListing = tuple[str, str, int | None, str, str, str, str, list[str], str]

SELLER_LISTINGS: list[DemoListing] = [
    (
        "Stud service: champion Golden Retriever",
        "stud_service",
        150000,
        "fixed",
        "Austin",
        "TX",
        "78701",
        ["golden retriever", "stud", "ofa"],
        "Ch. Sunny Boy, OFA Excellent hips and elbows, clear on the full Embark panel.\n\n"
        "Fresh, chilled or frozen semen. Progesterone timing advice included; one repeat breeding if she misses.",
    ),
    (
        "Full grooming for show dogs",
        "grooming",
        7500,
        "per_session",
        "Austin",
        "TX",
        "78704",
        ["grooming", "show", "coat"],
        "Bath, blow-out, hand scissoring and ring-ready finish for Goldens, Poodles and Doodles.\n\n"
        "We work calmly and never rush a nervous dog.",
    ),
    (
        "Puppy obedience classes",
        "training",
        4500,
        "hourly",
        "Round Rock",
        "TX",
        "78664",
        ["obedience", "puppy", "socialization"],
        "Six-week small-group course for puppies 10 to 20 weeks: name, sit, down, recall, loose-lead walking.",
    ),
    (
        "Whelping support and puppy curriculum",
        "whelping",
        None,
        "quote",
        "Austin",
        "TX",
        "78702",
        ["whelping", "neonatal", "puppy culture"],
        "On-call support for your first litter: whelping box setup, overnight help, weight charts and early "
        "neurological stimulation. Every litter is different, so ask for a quote.",
    ),
]

OTHER_PROVIDERS = [
    ("groomer@example.com", "Grace", "Okafor", None),
    ("trainer@example.com", "Tom", "Lindqvist", None),
    ("vet@example.com", "Dr. Priya", "Raman", "river-bend"),
    ("transport@example.com", "Hank", "Moreau", None),
    ("photo@example.com", "Lena", "Fischer", None),
]

PROVIDER_LISTINGS: dict[str, list[DemoListing]] = {
    "groomer@example.com": [
        (
            "Mobile grooming van for doodles",
            "grooming",
            9500,
            "per_session",
            "Denver",
            "CO",
            "80202",
            ["mobile", "doodle", "grooming"],
            "We come to you: full groom in our climate-controlled van.",
        ),
        (
            "Hand stripping for terriers",
            "grooming",
            6000,
            "hourly",
            "Boulder",
            "CO",
            "80301",
            ["terrier", "hand stripping"],
            "Proper hand stripping that keeps a harsh, correct coat.",
        ),
        (
            "Cat grooming and lion cuts",
            "grooming",
            8000,
            "fixed",
            "Phoenix",
            "AZ",
            "85004",
            ["cat", "lion cut", "persian"],
            "Gentle grooming for Persians, Maine Coons and Ragdolls.",
        ),
        (
            "Nail trims and ear cleaning",
            "grooming",
            2000,
            "fixed",
            "Tucson",
            "AZ",
            "85701",
            ["nails", "ears"],
            "Quick walk-in nail trims and ear care, no appointment needed.",
        ),
        (
            "Show coat conditioning program",
            "grooming",
            30000,
            "fixed",
            "Denver",
            "CO",
            "80205",
            ["show", "coat", "conditioning"],
            "Eight weeks of coat care before a big show.",
        ),
    ],
    "trainer@example.com": [
        (
            "Private obedience lessons",
            "training",
            8500,
            "hourly",
            "Portland",
            "OR",
            "97201",
            ["obedience", "private"],
            "One-to-one lessons at your home or our field.",
        ),
        (
            "Agility foundations course",
            "training",
            22000,
            "fixed",
            "Seattle",
            "WA",
            "98101",
            ["agility", "foundations"],
            "Six weeks of foundations: body awareness, tunnels, contacts.",
        ),
        (
            "Board and train: three weeks",
            "training",
            210000,
            "fixed",
            "Tacoma",
            "WA",
            "98402",
            ["board and train", "obedience"],
            "Three weeks of daily training with a handover session.",
        ),
        (
            "Reactive dog coaching",
            "training",
            9500,
            "per_session",
            "Eugene",
            "OR",
            "97401",
            ["reactive", "behavior"],
            "Calm, force-free coaching for dogs who struggle on walks.",
        ),
        (
            "Rally obedience for show dogs",
            "training",
            5000,
            "hourly",
            "Salem",
            "OR",
            "97301",
            ["rally", "show"],
            "Polish for rally and obedience trials.",
        ),
        (
            "Service dog public access prep",
            "training",
            None,
            "quote",
            "Spokane",
            "WA",
            "99201",
            ["service dog", "public access"],
            "Assessment first, then a plan and a quote.",
        ),
    ],
    "vet@example.com": [
        (
            "Progesterone testing and ovulation timing",
            "veterinary",
            8500,
            "per_session",
            "Lexington",
            "KY",
            "40507",
            ["progesterone", "ovulation", "reproduction"],
            "Same-day progesterone results and timing advice for natural or AI breedings.",
        ),
        (
            "Pregnancy ultrasound",
            "veterinary",
            12000,
            "fixed",
            "Louisville",
            "KY",
            "40202",
            ["ultrasound", "pregnancy"],
            "Confirm pregnancy from day 28 with a gentle ultrasound.",
        ),
        (
            "Transcervical insemination (TCI)",
            "veterinary",
            35000,
            "fixed",
            "Nashville",
            "TN",
            "37203",
            ["tci", "artificial insemination", "frozen semen"],
            "TCI with fresh, chilled or frozen semen.",
        ),
        (
            "Puppy health checks and microchips",
            "veterinary",
            6500,
            "per_session",
            "Knoxville",
            "TN",
            "37902",
            ["puppy", "microchip", "health check"],
            "Litter exams, first vaccines and microchips.",
        ),
        (
            "Semen collection and freezing",
            "veterinary",
            None,
            "quote",
            "Lexington",
            "KY",
            "40508",
            ["semen", "freezing", "storage"],
            "Collection, evaluation, freezing and long-term storage.",
        ),
        (
            "OFA hip and elbow radiographs",
            "veterinary",
            45000,
            "fixed",
            "Nashville",
            "TN",
            "37208",
            ["ofa", "hips", "elbows", "x-ray"],
            "Sedated radiographs submitted to OFA for you.",
        ),
    ],
    "transport@example.com": [
        (
            "Climate-controlled pet transport",
            "transport",
            150,
            "daily",
            "Atlanta",
            "GA",
            "30303",
            ["transport", "ground"],
            "Door-to-door ground transport across the Southeast.",
        ),
        (
            "Flight nanny for puppies",
            "transport",
            55000,
            "fixed",
            "Charlotte",
            "NC",
            "28202",
            ["flight nanny", "puppy", "airport"],
            "A nanny flies in the cabin with your puppy.",
        ),
        (
            "Airport pet cargo drop-off",
            "transport",
            12500,
            "fixed",
            "Miami",
            "FL",
            "33101",
            ["airport", "cargo"],
            "We handle crate checks and cargo drop-off for you.",
        ),
        (
            "Cross-country puppy delivery",
            "transport",
            None,
            "quote",
            "Orlando",
            "FL",
            "32801",
            ["delivery", "long distance"],
            "Long-distance ground delivery with overnight stops.",
        ),
        (
            "Show circuit shuttle",
            "transport",
            9000,
            "daily",
            "Raleigh",
            "NC",
            "27601",
            ["show", "shuttle"],
            "Get your dogs to the weekend shows while you work.",
        ),
    ],
    "photo@example.com": [
        (
            "Litter photography at your kennel",
            "photography",
            35000,
            "per_session",
            "Chicago",
            "IL",
            "60601",
            ["litter", "puppies", "portraits"],
            "Eight-week puppy portraits at your kennel.",
        ),
        (
            "Show win photos",
            "photography",
            4500,
            "fixed",
            "Milwaukee",
            "WI",
            "53202",
            ["show", "win photo"],
            "Ringside win photos, delivered the same evening.",
        ),
        (
            "Stud dog marketing portraits",
            "photography",
            25000,
            "fixed",
            "Madison",
            "WI",
            "53703",
            ["stud", "marketing"],
            "Stacked, head and movement shots for your stud page.",
        ),
        (
            "Horse and foal portraits",
            "photography",
            None,
            "quote",
            "Indianapolis",
            "IN",
            "46204",
            ["horse", "foal", "equine"],
            "Portraits of mares and foals in natural light.",
        ),
    ],
}

EXTRA_SELLER_LISTINGS: list[DemoListing] = [
    (
        "Luxury boarding with daily walks",
        "boarding",
        5500,
        "daily",
        "Austin",
        "TX",
        "78745",
        ["boarding", "kennel"],
        "Indoor suites, two walks a day and webcam access.",
    ),
    (
        "Cattery boarding for breeding queens",
        "boarding",
        3500,
        "daily",
        "Columbus",
        "OH",
        "43215",
        ["cat", "boarding", "queens"],
        "Quiet, separate rooms for queens in season.",
    ),
    (
        "In-season bitch boarding",
        "boarding",
        6000,
        "daily",
        "Dayton",
        "OH",
        "45402",
        ["boarding", "in season"],
        "Secure boarding for girls in season, away from males.",
    ),
    (
        "AKC show handling: conformation",
        "handling",
        9500,
        "per_session",
        "Tulsa",
        "OK",
        "74103",
        ["akc", "conformation", "handler"],
        "Professional handler for all-breed and specialty shows.",
    ),
    (
        "Junior handler coaching",
        "handling",
        4000,
        "hourly",
        "Oklahoma City",
        "OK",
        "73102",
        ["junior", "handling"],
        "Coaching for young handlers at every level.",
    ),
    (
        "Specialty show campaign",
        "handling",
        None,
        "quote",
        "Savannah",
        "GA",
        "31401",
        ["specialty", "campaign"],
        "A season-long campaign planned with you.",
    ),
    (
        "Breeding program consultation",
        "breeding_consult",
        15000,
        "hourly",
        "Boise",
        "ID",
        "83702",
        ["pedigree", "coi", "planning"],
        "Pedigree analysis, COI and health-testing plans.",
    ),
    (
        "Genetic health test review",
        "breeding_consult",
        7500,
        "fixed",
        "Salt Lake City",
        "UT",
        "84101",
        ["genetic", "embark", "health testing"],
        "We read your panels and explain the pairings.",
    ),
    (
        "Stud service: Labrador Retriever, chocolate",
        "stud_service",
        120000,
        "fixed",
        "Richmond",
        "VA",
        "23219",
        ["labrador", "stud", "chocolate"],
        "Proven chocolate Labrador stud, EIC and CNM clear.",
    ),
    (
        "Stud service: Cavalier King Charles",
        "stud_service",
        180000,
        "fixed",
        "Albany",
        "NY",
        "12207",
        ["cavalier", "stud", "heart clear"],
        "Heart-clear Cavalier stud with MRI/SM results.",
    ),
    (
        "Maine Coon stud service",
        "stud_service",
        90000,
        "fixed",
        "Burlington",
        "VT",
        "05401",
        ["maine coon", "cat", "stud"],
        "TICA-registered Maine Coon stud, HCM scanned yearly.",
    ),
    (
        "Whelping box rental",
        "whelping",
        2500,
        "daily",
        "Reno",
        "NV",
        "89501",
        ["whelping box", "rental"],
        "Clean, sanitized whelping boxes delivered and collected.",
    ),
]


def _listing_for(provider: MarketplaceUser, spec: DemoListing, index: int) -> ServiceListing:
    title, category, price, price_type, city, state, zip_code, tags, description = spec
    listing = db.session.scalar(
        select(ServiceListing).where(
            ServiceListing.provider_user_id == provider.id, ServiceListing.title == title
        )
    )
    if listing is None:
        listing = ServiceListing(
            provider_user_id=provider.id,
            title=title,
            description=description,
            category=category,
            price_cents=price,
            price_type=price_type,
            city=city,
            state=state,
            zip_code=zip_code,
            service_area_miles=25 + 25 * (index % 4),
            status="active",
            tags=tags,
            published_at=utcnow() - timedelta(days=index, hours=index),
        )
        db.session.add(listing)
        db.session.flush()
    return listing


def seed_listings(seller: MarketplaceUser, password: str) -> list[ServiceListing]:
    """The demo seller's listings first (the messaging and billing demos use the first one)."""
    listings = [
        _listing_for(seller, spec, index)
        for index, spec in enumerate(SELLER_LISTINGS + EXTRA_SELLER_LISTINGS)
    ]
    draft = _listing_for(
        seller,
        (
            "Draft: winter boarding special",
            "boarding",
            4000,
            "daily",
            "Austin",
            "TX",
            "78701",
            ["draft"],
            "Not published yet.",
        ),
        0,
    )
    draft.status = "draft"
    for offset, (email, first, last, tenant_slug) in enumerate(OTHER_PROVIDERS):
        tenant_id = None
        if tenant_slug:
            tenant_id = db.session.scalar(select(Tenant.id).where(Tenant.slug == tenant_slug))
        provider = _get_or_create_user(
            email,
            password,
            first_name=first,
            last_name=last,
            user_type="service_provider",
            tenant_id=tenant_id,
            tenant_verified=tenant_id is not None,
        )
        for index, spec in enumerate(PROVIDER_LISTINGS[email]):
            _listing_for(provider, spec, offset * 7 + index)
    return listings


def seed_marketplace(password: str, tenant: Tenant) -> DemoUsers:
    buyer = _get_or_create_user("buyer@example.com", password, first_name="Bailey", last_name="Buyer")
    seller = _get_or_create_user(
        "seller@example.com",
        password,
        first_name="Sam",
        last_name="Seller",
        user_type="service_provider",
        tenant_id=tenant.id,
        tenant_verified=True,
    )
    listings = seed_listings(seller, password)

    client = db.session.scalar(
        select(Contact)
        .where(Contact.tenant_id == tenant.id, Contact.email == "client@example.com")
        .execution_options(**{ALL_TENANTS: True})
    )
    if client is not None and client.marketplace_user_id is None:
        client.marketplace_user_id = buyer.id

    number = "SA-M001"
    already = db.session.scalar(
        select(Invoice.id)
        .where(Invoice.tenant_id == tenant.id, Invoice.number == number)
        .execution_options(**{ALL_TENANTS: True})
    )
    if already is None and client is not None:
        listing = listings[0]
        transaction = MarketplaceTransaction(
            provider_tenant_id=tenant.id,
            provider_user_id=seller.id,
            client_party_id=client.party_id,
            client_user_id=buyer.id,
            service_listing_id=listing.id,
            service_description=listing.title,
            amount_cents=listing.price_cents or 0,
            platform_fee_cents=(listing.price_cents or 0) // 20,
            net_payout_cents=(listing.price_cents or 0) - (listing.price_cents or 0) // 20,
            transaction_date=utcnow().date() - timedelta(days=7),
            status="completed",
            payment_method="card",
        )
        db.session.add(transaction)
        db.session.flush()
        issued = utcnow() - timedelta(days=7)
        db.session.add(
            Invoice(
                tenant_id=tenant.id,
                client_party_id=client.party_id,
                number=number,
                status="issued",
                amount_cents=transaction.amount_cents,
                balance_cents=transaction.amount_cents,
                currency="USD",
                issued_at=issued,
                due_at=issued + timedelta(days=30),
                created_at=issued,
                marketplace_transaction_id=transaction.id,
                is_marketplace_invoice=True,
                line_items=[
                    InvoiceLineItem(
                        tenant_id=tenant.id,
                        description=f"Marketplace: {listing.title}",
                        quantity=1,
                        unit_price_cents=transaction.amount_cents,
                        amount_cents=transaction.amount_cents,
                    )
                ],
            )
        )
    db.session.flush()
    return DemoUsers(buyer=buyer, seller=seller)
