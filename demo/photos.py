"""Demo files, drawn here with Pillow (no outside images, so no licence to check): a photo for every demo listing
(three for the first, to show the gallery), and a health-results PDF for the demo conversation.

They go through the same code as a seller's uploads (marketplace/listings/photos.py,
marketplace/messaging/attachments.py), so the demo shows exactly what uploads produce.
"""

from __future__ import annotations

import hashlib
import time
from functools import cache
from io import BytesIO

from PIL import Image, ImageDraw, ImageFont

from app.storage import StagedWrites, storage
from app.uploads import Upload
from marketplace.catalog import category_label
from marketplace.listings.photos import add_photos, prepare_photos
from marketplace.messaging.attachments import prepare_attachment, save_attachments
from models import ServiceListing

PHOTO_SIZE = (1024, 768)
GALLERY_LISTING_PHOTOS = 3
# Colours per category: (background, paw print).
PALETTE = {
    "stud_service": ("#c8a165", "#6b4a1f"),
    "grooming": ("#9ac7d6", "#24586b"),
    "training": ("#a8c98f", "#3c5f25"),
    "boarding": ("#e3b7a0", "#7a3e22"),
    "transport": ("#b9b4d9", "#443c7a"),
    "veterinary": ("#9fd1c0", "#1f5e4c"),
    "photography": ("#d7c8a0", "#5e5122"),
    "handling": ("#e0a6b5", "#6e2638"),
    "breeding_consult": ("#b5c7e6", "#27446e"),
    "whelping": ("#f0cf9a", "#7a5012"),
}
PDF_DATE = time.gmtime(1_767_225_600)  # fixed, so the demo PDF is the same file on every load


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _paw(draw: ImageDraw.ImageDraw, x: int, y: int, scale: int, color: str) -> None:
    draw.ellipse((x - 2 * scale, y, x + 2 * scale, y + int(3.2 * scale)), fill=color)
    for dx, dy in ((-2.6, -1.6), (-0.9, -2.9), (0.9, -2.9), (2.6, -1.6)):
        cx, cy = x + int(dx * scale), y + int(dy * scale)
        draw.ellipse((cx - scale // 1.4, cy - scale, cx + scale // 1.4, cy + scale), fill=color)


def demo_photo(title: str, category: str, variant: int) -> bytes:
    """A listing photo: the category's colours, a few paw prints placed from the title, and a caption."""
    background, ink = PALETTE.get(category, ("#cbd2d9", "#323f4b"))
    width, height = PHOTO_SIZE
    # A soft vertical gradient: the background colour, darkening towards the bottom.
    shade = Image.linear_gradient("L").resize(PHOTO_SIZE).point(lambda value: 255 - value * 45 // 255)
    image = Image.composite(
        Image.new("RGB", PHOTO_SIZE, background), Image.new("RGB", PHOTO_SIZE, "black"), shade
    )
    draw = ImageDraw.Draw(image)
    # A trail of paw prints walking up and to the right, placed and sized from the title (no two alike).
    seed = hashlib.sha256(f"{title}/{variant}".encode()).digest()
    scale = 20 + seed[0] % 10
    x, y = 110 + seed[1] % 80, height - 260 - seed[2] % 60
    for step in range(4):
        _paw(draw, x + step * 9 * scale, y - step * 4 * scale + (28 if step % 2 else -28), scale, ink)
    draw.rectangle((0, height - 170, width, height), fill=ink)
    draw.text((48, height - 150), category_label(category), fill=background, font=_font(44))
    draw.text((48, height - 90), title[:48], fill="#ffffff", font=_font(40))
    out = BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def seed_listing_photos(listings: list[ServiceListing]) -> None:
    """Photos for every listing that has none yet (so loading twice adds nothing)."""
    files = StagedWrites(storage())
    for index, listing in enumerate(listings):
        if listing.images:
            continue
        count = GALLERY_LISTING_PHOTOS if index == 0 else 1
        uploads = [
            Upload(f"photo-{n + 1}.png", demo_photo(listing.title, listing.category, n)) for n in range(count)
        ]
        add_photos(listing, prepare_photos(uploads, listing.id), files)


def health_results_pdf(dog: str, lines: list[str]) -> bytes:
    """A one-page PDF (a Pillow-drawn page saved as PDF): small, valid, and the same bytes every time."""
    page = Image.new("L", (850, 1100), 255)
    draw = ImageDraw.Draw(page)
    draw.text((70, 80), f"Health test results: {dog}", fill=0, font=_font(36))
    draw.line((70, 140, 780, 140), fill=0, width=2)
    for number, line in enumerate(lines):
        draw.text((70, 180 + number * 48), line, fill=0, font=_font(26))
    draw.text(
        (70, 1020), "Demo document generated for the Breeder Marketplace demo.", fill=110, font=_font(18)
    )
    out = BytesIO()
    page.save(
        out, "PDF", resolution=100, creationDate=PDF_DATE, modDate=PDF_DATE, title=f"{dog} health results"
    )
    return out.getvalue()


SUNNY_BOY_RESULTS = [
    "OFA hips: Excellent (GR-123456E24M-VPI)",
    "OFA elbows: Normal (GR-EL98765M24-VPI)",
    "OFA eyes (CAER): Normal, 2026",
    "OFA heart (advanced cardiac): Normal",
    "Embark breed & health panel: clear on all 230+ tests",
    "PRA-prcd: clear  ·  ICH1/ICH2: clear  ·  NCL: clear",
]


def attach_demo_pdf(thread_id: int, message_id: int, name: str) -> None:
    """The demo conversation's attachment: the stud's health results, which only its two participants can open."""
    data = health_results_pdf("Ch. Sunny Boy", SUNNY_BOY_RESULTS)
    save_attachments(StagedWrites(storage()), [prepare_attachment(Upload(name, data))], thread_id, message_id)
