"""In Chromium: the seller sends a PDF and a photo in a conversation; both appear at once with the photo's
thumbnail, the buyer's open page receives them live, and the buyer downloads the PDF."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.marketplace_pages import sign_in, watch_problems
from tests.files import image_bytes, pdf_bytes

LISTING = "Whelping box rental"


def test_seller_sends_files_and_the_buyer_sees_the_thumbnail_and_downloads_the_pdf(new_page, tmp_path):
    pdf, photo = tmp_path / "Dam OFA results.pdf", tmp_path / "whelping-box.png"
    pdf.write_bytes(pdf_bytes())
    photo.write_bytes(image_bytes("PNG", (800, 600)))
    problems: list[str] = []

    buyer = new_page()
    watch_problems(buyer, problems)
    # Another provider asks as a buyer: the demo buyer's conversations stay as other e2e tests expect them.
    sign_in(buyer, "groomer@example.com")
    buyer.goto("/listings?q=whelping+box")
    buyer.get_by_role("link", name=LISTING).click()
    buyer.get_by_role("link", name="Message the seller").click()
    buyer.fill("textarea[name=body]", "Is the box free in April? Please send its size.")
    buyer.get_by_role("button", name="Send message").click()
    expect(buyer.locator("#messages .message-mine").last).to_contain_text("Is the box free in April?")

    seller = new_page()
    watch_problems(seller, problems)
    sign_in(seller, "seller@example.com")
    seller.goto("/messages")
    seller.locator(".inbox-row", has_text=LISTING).first.get_by_role("link").click()
    seller.fill("textarea[name=body]", "Yes. Size and our dam's results attached.")
    seller.set_input_files("input[name=attachments]", [str(pdf), str(photo)])
    seller.get_by_role("button", name="Send").click()
    sent = seller.locator("#messages .message-mine").last
    expect(sent.get_by_role("link", name="Dam OFA results.pdf")).to_be_visible()
    thumbnail = sent.locator(".attachment-thumbnail img")
    expect(thumbnail).to_have_count(1)
    assert thumbnail.evaluate("img => img.decode().then(() => img.naturalWidth)") == 320
    expect(seller.locator("input[name=attachments]")).to_have_value("")  # a fresh form after the htmx reply

    received = buyer.locator(
        "#messages .message-theirs"
    ).last  # by polling: the buyer's page was not reloaded
    expect(received.get_by_role("link", name="whelping-box.png")).to_be_visible()
    with buyer.expect_download() as download:
        received.get_by_role("link", name="Dam OFA results.pdf").click()
    assert download.value.suggested_filename == "Dam OFA results.pdf"
    with open(download.value.path(), "rb") as file:
        assert file.read() == pdf_bytes()
    assert problems == []
