"""The words seeded rows are made of: breeds, services, names, places' flavour, messages.

Search relies on two rules kept here (tests/test_scale_seed.py checks them):
- "golden" and any word starting with "retriev" appear only in Golden Retriever listings, so the broad query
  matches exactly the listings of that breed (its weight, 78 in 1,000);
- NARROW_BREED appears only in the listings placed on purpose (one in NARROW_EVERY).
"""

from __future__ import annotations

BROAD_BREED = "Golden Retriever"
NARROW_BREED = "Xoloitzcuintli"
NARROW_EVERY = 25_000  # about 40 listings in 1,000,000, and always the 8th listing (index 7)

# Breed and its share of listings, per mille (sums to 1,000). No other breed name says "golden" or "retriever".
BREED_WEIGHTS: tuple[tuple[str, int], ...] = (
    (BROAD_BREED, 78),
    ("Labrador", 85),
    ("German Shepherd", 80),
    ("French Bulldog", 80),
    ("Poodle", 75),
    ("Dachshund", 65),
    ("Beagle", 60),
    ("Cavalier King Charles Spaniel", 55),
    ("Border Collie", 55),
    ("Australian Shepherd", 55),
    ("Pembroke Welsh Corgi", 50),
    ("Bernese Mountain Dog", 45),
    ("Shih Tzu", 45),
    ("Boxer", 40),
    ("Great Dane", 35),
    ("Doberman Pinscher", 35),
    ("Siberian Husky", 35),
    ("Havanese", 27),
)

# Per category: title patterns ({breed}, {city}, {adjective}), the sentence that opens the description, the tag
# words, the price types offered, and a price range in dollars.
CATEGORY_COPY: dict[str, tuple[tuple[str, ...], str, tuple[str, ...], tuple[str, ...], tuple[int, int]]] = {
    "stud_service": (
        (
            "{breed} stud service: {adjective} sire",
            "Champion {breed} stud available",
            "{breed} stud, health-tested",
        ),
        "Our {breed} sire has OFA hips and elbows and a clear genetic panel; fresh, chilled or frozen semen.",
        ("stud", "ofa", "semen", "progesterone"),
        ("fixed",),
        (800, 4000),
    ),
    "grooming": (
        (
            "{breed} grooming: bath, trim and nails",
            "{adjective} {breed} grooming",
            "Show grooming for {breed}s",
        ),
        "Bath, blow-out, hand scissoring and nails for {breed}s, calm and never rushed.",
        ("grooming", "coat", "nails", "bath"),
        ("per_session", "fixed"),
        (45, 180),
    ),
    "training": (
        ("{breed} puppy obedience classes", "{adjective} {breed} training", "Rally and agility for {breed}s"),
        "Positive-reinforcement training for {breed}s, from puppy manners to rally and agility.",
        ("training", "obedience", "agility", "puppies"),
        ("hourly", "per_session"),
        (40, 150),
    ),
    "boarding": (
        ("{breed} boarding in {city}", "{adjective} boarding for {breed}s", "Home-style {breed} boarding"),
        "Climate-controlled suites, two walks a day and daily photo updates while your {breed} stays with us.",
        ("boarding", "kennel", "daycare", "walks"),
        ("daily",),
        (35, 120),
    ),
    "transport": (
        ("{breed} puppy transport from {city}", "{adjective} pet transport", "Ground transport for {breed}s"),
        "Door-to-door ground transport and airport meet-ups, with a crate and a handler in every van.",
        ("transport", "crate", "airport", "delivery"),
        ("fixed", "quote"),
        (150, 1200),
    ),
    "veterinary": (
        (
            "Reproductive vet care for {breed}s",
            "{adjective} progesterone testing",
            "Ultrasound and whelping checks",
        ),
        "Progesterone timing, ultrasound confirmation and health certificates for breeding {breed}s.",
        ("veterinary", "progesterone", "ultrasound", "vaccines"),
        ("fixed",),
        (60, 450),
    ),
    "photography": (
        (
            "{breed} litter photography",
            "{adjective} portraits of {breed}s",
            "Studio photos for {breed} litters",
        ),
        "Studio or outdoor sessions for litters and show portraits, edited and delivered within a week.",
        ("photography", "portraits", "litter", "studio"),
        ("per_session", "fixed"),
        (120, 600),
    ),
    "handling": (
        ("AKC show handling for {breed}s", "{adjective} {breed} handler", "Conformation handling: {breed}"),
        "Professional conformation handling for {breed}s at AKC and UKC shows, conditioning included.",
        ("handling", "show", "conformation", "ring"),
        ("daily", "fixed"),
        (90, 400),
    ),
    "breeding_consult": (
        (
            "{breed} breeding program consultation",
            "{adjective} pedigree planning",
            "Litter planning for {breed}s",
        ),
        "Pedigree analysis, genetic testing plans and contracts for {breed} breeding programs.",
        ("consultation", "pedigree", "genetics", "contracts"),
        ("hourly", "quote"),
        (75, 250),
    ),
    "whelping": (
        ("Whelping support for {breed} litters", "{adjective} whelping assistance", "Neonatal care: {breed}"),
        "Around-the-clock whelping support, neonatal checks and puppy socialization for {breed} litters.",
        ("whelping", "neonatal", "socialization", "puppies"),
        ("daily", "quote"),
        (100, 500),
    ),
}

ADJECTIVES = (
    "Experienced", "Certified", "Gentle", "Insured", "Award-winning", "Family-run", "Licensed", "Mobile",
    "Affordable", "Premium", "Trusted", "Friendly",
)  # fmt: skip
EXTRA_SENTENCES = (
    "Fully insured and happy to share references from local breeders.",
    "Weekend appointments are available on request.",
    "We keep detailed records and send a written summary after every visit.",
    "Ask about discounts for repeat clients and multi-dog households.",
    "First-time clients get a free phone consultation.",
    "Vaccination records are required before the first appointment.",
    "We have worked with show kennels and family breeders for many years.",
    "Payment by card, bank transfer or check.",
)

FIRST_NAMES = (
    "Avery", "Bailey", "Casey", "Dakota", "Emerson", "Finley", "Harper", "Jordan", "Kendall", "Logan",
    "Morgan", "Parker", "Quinn", "Riley", "Rowan", "Sawyer", "Skyler", "Taylor", "Jamie", "Alex",
)  # fmt: skip
LAST_NAMES = (
    "Rivera", "Nguyen", "Smith", "Patel", "Garcia", "Kim", "Brown", "Lopez", "Clark", "Young", "Okafor",
    "Lindqvist", "Moreau", "Fischer", "Raman", "Walsh", "Becker", "Silva", "Haddad", "Novak",
)  # fmt: skip
KENNEL_FIRST = (
    "Sunny", "River", "Oak", "Maple", "Cedar", "Willow", "Prairie", "Highland", "Meadow", "Silver",
    "Stone", "Bluebird", "Harbor", "Pine", "Aspen", "Foxglove", "Briar", "Clover", "Juniper", "Heather",
)  # fmt: skip
KENNEL_SECOND = ("Acres", "Bend", "Ridge", "Hollow", "Creek", "Field", "Brook", "Hill", "Farm", "Valley")
KENNEL_KIND = ("Kennels", "Stables", "Breeders", "Farm", "Kennel Club")

LINE_ITEMS: tuple[tuple[str, int, int], ...] = (
    # description, lowest and highest unit price in dollars
    ("Stud service fee", 800, 3500),
    ("Puppy deposit", 300, 1000),
    ("Puppy balance", 1200, 4500),
    ("Progesterone test", 60, 120),
    ("Boarding, per night", 35, 90),
    ("Vaccinations", 40, 150),
    ("Microchip and registration", 45, 90),
    ("Health certificate", 50, 150),
    ("Grooming session", 45, 160),
    ("Training session", 40, 140),
    ("Transport to airport", 150, 600),
    ("Ultrasound confirmation", 90, 250),
    ("Whelping assistance, per day", 100, 400),
    ("Semen collection and shipping", 300, 900),
)
PAYMENT_METHODS = ("card", "bank_transfer", "check", "cash")

BUYER_LINES = (
    "Hi! Is this still available for next month?",
    "Could you tell me more about what is included?",
    "We have a {breed} due in spring; what dates do you have open?",
    "Thanks, that works for us. Is Saturday morning possible?",
    "Do you need the vaccination records before the first visit?",
    "How long does a typical session take?",
    "Great, see you then. Should we bring anything?",
    "Sorry for the late reply, can we move it by a week?",
    "Perfect, thank you for the quick answer!",
    "Is a deposit needed to hold the date?",
)
SELLER_LINES = (
    "Hello, yes, we still have openings next month.",
    "Everything listed is included; extras are quoted separately.",
    "Saturday at 10 works. I will send the address the day before.",
    "Please bring the vaccination records and the registration papers.",
    "About an hour for most dogs, a little longer for a full coat.",
    "No problem at all, I have moved you to the following week.",
    "A deposit of 20 percent holds the date; the rest is due on the day.",
    "Thanks for reaching out! Happy to answer any other questions.",
    "Just confirming our appointment for tomorrow.",
    "Here is a short summary of today's visit; all went well.",
)
