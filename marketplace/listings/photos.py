"""A listing's photos: the shape they take in `ServiceListing.images` (JSONB), and making, adding, ordering and
removing them.

`images` is a JSON array, in display order; the first is the search card's photo. Each element is either
- an uploaded photo: `{"id": "<16 hex>", "card": {"path", "width", "height"}, "gallery": {"path", "width",
  "height"}}`, where each `path` names a WebP file in app/storage.py (`photos/<listing id>/<sha256>.webp`), or
- a plain string: an http(s) address pasted before uploads existed (or written by another app). It is shown as
  a link, never embedded, so no outside server sees the page's visitors. The seller can remove it.
Anything else in the array is ignored, and dropped when the seller next changes the photos.
docs/schema-notes.md has the same description for the database's other readers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import literal_column

from app.storage import StagedWrites
from app.uploads import (
    Upload,
    UploadRefused,
    cropped,
    encode,
    fitted,
    normalized,
    open_image,
    prepare_all,
    promised_kind,
)
from marketplace.listings.forms import is_web_url
from models import ServiceListing

MAX_PHOTOS = 8
PHOTO_KINDS = ("JPEG", "PNG", "WEBP")
CARD_SIZE = (480, 360)
GALLERY_BOX = (1600, 1600)
ID_LENGTH = 16

# The first uploaded photo's card file, as SQL (the search cards read it with the listing's other columns).
FIRST_CARD_PATH = literal_column(
    """jsonb_path_query_first("ServiceListing".images, '$[*] ? (@.type() == "object").card.path') #>> '{}'"""
)


@dataclass(frozen=True)
class Variant:
    path: str
    width: int
    height: int


@dataclass(frozen=True)
class Photo:
    id: str
    card: Variant
    gallery: Variant

    @property
    def paths(self) -> tuple[str, str]:
        return (self.card.path, self.gallery.path)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "card": {"path": self.card.path, "width": self.card.width, "height": self.card.height},
            "gallery": {
                "path": self.gallery.path,
                "width": self.gallery.width,
                "height": self.gallery.height,
            },
        }


@dataclass(frozen=True)
class LinkedImage:
    """An address pasted before uploads: shown as a link only."""

    id: str
    url: str

    paths: tuple[str, ...] = ()

    def to_json(self) -> str:
        return self.url


Item = Photo | LinkedImage


def _variant(raw: Any) -> Variant | None:
    if not isinstance(raw, dict):
        return None
    path, width, height = raw.get("path"), raw.get("width"), raw.get("height")
    if (
        isinstance(path, str)
        and path.startswith("photos/")
        and isinstance(width, int)
        and isinstance(height, int)
    ):
        return Variant(path, width, height)
    return None


def _item(raw: Any) -> Item | None:
    if isinstance(raw, str):
        url = raw.strip()
        if is_web_url(url):
            return LinkedImage("link-" + hashlib.sha256(url.encode()).hexdigest()[:ID_LENGTH], url)
        return None
    if isinstance(raw, dict) and isinstance(raw.get("id"), str):
        card, gallery = _variant(raw.get("card")), _variant(raw.get("gallery"))
        if card and gallery:
            return Photo(raw["id"], card, gallery)
    return None


def items_of(listing: ServiceListing) -> list[Item]:
    """The listing's photos and linked images, in order; unreadable elements are skipped."""
    raw = listing.images if isinstance(listing.images, list) else []
    items: list[Item] = []
    for element in raw:
        item = _item(element)
        if item is not None and item.id not in {known.id for known in items}:
            items.append(item)
    return items


def photos_of(listing: ServiceListing) -> list[Photo]:
    return [item for item in items_of(listing) if isinstance(item, Photo)]


def links_of(listing: ServiceListing) -> list[LinkedImage]:
    return [item for item in items_of(listing) if isinstance(item, LinkedImage)]


def store_items(listing: ServiceListing, items: Iterable[Item]) -> None:
    listing.images = [item.to_json() for item in items]


# --- making photos -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreparedPhoto:
    """A checked, re-encoded photo whose files are not written yet."""

    name: str
    photo: Photo
    files: dict[str, bytes]


def _encoded_variant(listing_id: int, image, files: dict[str, bytes]) -> Variant:
    data = encode(image, "WEBP")
    path = f"photos/{listing_id}/{hashlib.sha256(data).hexdigest()}.webp"
    files[path] = data
    return Variant(path, image.width, image.height)


def prepare_photo(upload: Upload, listing_id: int) -> PreparedPhoto:
    """Checked (its content is the format its name says, not too many pixels) and re-encoded from its pixels
    only: a gallery size and the search card's crop, both WebP, with no EXIF or GPS left."""
    image = normalized(open_image(upload, promised_kind(upload, PHOTO_KINDS), fit_within=GALLERY_BOX))
    files: dict[str, bytes] = {}
    gallery = _encoded_variant(listing_id, fitted(image, GALLERY_BOX), files)
    card = _encoded_variant(listing_id, cropped(image, CARD_SIZE), files)
    return PreparedPhoto(upload.name, Photo(upload.sha256[:ID_LENGTH], card, gallery), files)


def prepare_photos(uploads: list[Upload], listing_id: int) -> list[PreparedPhoto]:
    """Every upload prepared, or one UploadRefused naming every file that was refused and why."""
    return prepare_all(uploads, lambda upload: prepare_photo(upload, listing_id))


def add_photos(listing: ServiceListing, prepared: list[PreparedPhoto], files: StagedWrites) -> None:
    """Append the photos to the listing (locked by the caller) and write their files. Refused when the listing
    would have more than MAX_PHOTOS, or a photo is on it already."""
    items = items_of(listing)
    if len(items) + len(prepared) > MAX_PHOTOS:
        raise UploadRefused(
            f"A listing can have at most {MAX_PHOTOS} photos: it has {len(items)}, and you chose "
            f"{len(prepared)}. Remove some first, or choose fewer."
        )
    seen = {item.id for item in items}
    for each in prepared:
        if each.photo.id in seen:
            raise UploadRefused(f"“{each.name}” is already one of this listing's photos.")
        seen.add(each.photo.id)
    for each in prepared:
        for path, data in each.files.items():
            files.put(path, data)
    store_items(listing, [*items, *(each.photo for each in prepared)])


# --- order and removal ---------------------------------------------------------------------------------------


def arranged(items: list[Item], positions: dict[str, int], removed: set[str]) -> list[Item]:
    """The items without the removed ones, sorted by their new position numbers (an item without one keeps
    its place; ties keep the current order)."""
    kept = [(positions.get(item.id, index + 1), index, item) for index, item in enumerate(items)]
    return [item for _, _, item in sorted(kept, key=lambda entry: entry[:2]) if item.id not in removed]


def moved(items: list[Item], item_id: str, step: int) -> list[Item]:
    """One item moved one place up (-1) or down (+1)."""
    ids = [item.id for item in items]
    if item_id not in ids:
        return items
    at = ids.index(item_id)
    to = min(max(at + step, 0), len(items) - 1)
    reordered = list(items)
    reordered.insert(to, reordered.pop(at))
    return reordered


def unreferenced(before: list[Item], after: list[Item]) -> list[str]:
    still = {path for item in after for path in item.paths}
    return [path for item in before for path in item.paths if path not in still]
