"""A seller uploads two photos, puts the second first, and publishes; a buyer finds the listing by "near 75201" and
its search card shows that photo and its distance, the listing page's gallery works, and the browser reports no
blocked image (img-src is 'self')."""

from __future__ import annotations

import re
import secrets

from playwright.sync_api import expect

from tests.e2e.marketplace_pages import save_new_listing, sign_in, watch_problems
from tests.files import image_bytes, jpeg_with_gps


def test_seller_uploads_reorders_and_publishes_and_the_card_shows_the_first_photo(new_page, tmp_path):
    title = f"Brindle greyhound coursing {secrets.token_hex(3)}"
    first, second = tmp_path / "kennel.jpg", tmp_path / "ribbon.png"
    first.write_bytes(jpeg_with_gps((1600, 1200)))
    second.write_bytes(image_bytes("PNG", (900, 900), "#1d4f91"))

    seller = new_page()
    problems: list[str] = []
    watch_problems(seller, problems)
    sign_in(seller, "seller@example.com")
    seller.goto("/dashboard/listings/new")
    save_new_listing(
        seller,
        title,
        "Straight and lure coursing practice for sighthounds.",
        price="40",
        city="Dallas",
        state="TX",
        zip_code="75201",
    )
    seller.set_input_files("input[name=photos]", [str(first), str(second)])
    seller.get_by_role("button", name="Upload").click()
    expect(seller.get_by_text("2 photos added.")).to_be_visible()
    photos = seller.locator(".photo-item img")
    expect(photos).to_have_count(2)
    kennel, ribbon = (photos.nth(n).get_attribute("src") for n in range(2))

    seller.get_by_role("button", name="Move up photo 2").click()
    expect(seller.get_by_text("Photo moved.")).to_be_visible()
    expect(seller.locator(".photo-item img").first).to_have_attribute("src", ribbon)

    seller.goto("/dashboard/listings")
    seller.get_by_role("row").filter(has_text=title).get_by_role("button", name="Publish").click()
    expect(seller.get_by_role("row").filter(has_text=title).get_by_text("active")).to_be_visible()

    buyer = new_page()
    watch_problems(buyer, problems)
    buyer.goto("/listings")
    buyer.get_by_label("Near ZIP code").fill("75201")
    buyer.get_by_label("Within (miles)").fill("1")
    buyer.get_by_role("button", name="Search").click()
    expect(buyer.locator(".results-summary")).to_contain_text("within 1 mile of 75201 (Dallas, TX)")
    expect(buyer).to_have_url(re.compile(r"near=75201&within=1"))
    card = buyer.locator(".result-card").filter(has_text=title)
    expect(card.locator(".result-distance")).to_have_text("Under 1 mi away")
    image = card.locator("img.result-photo")
    expect(image).to_have_attribute("src", ribbon)
    image.scroll_into_view_if_needed()
    assert image.evaluate("img => img.decode().then(() => img.naturalWidth)") == 480

    card.get_by_role("link", name=title).click()
    gallery = buyer.locator(".gallery-main img")
    expect(gallery).to_have_count(2)
    assert gallery.first.evaluate(
        "img => img.decode().then(() => [img.naturalWidth, img.naturalHeight])"
    ) == [
        900,
        900,
    ]
    buyer.get_by_role("link", name="Show photo 2").click()  # the gallery without JavaScript: an anchor
    expect(buyer).to_have_url(re.compile(r"#photo-2$"))
    assert kennel != ribbon
    assert problems == []  # no image refused by the CSP, nothing missing
