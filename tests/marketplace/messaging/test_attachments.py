"""Files in messages: sending them, who can open them (the denial matrix), thumbnails, blocked threads, every
bad file, and the thread page's fixed number of queries."""

from __future__ import annotations

from io import BytesIO

import pytest
from markupsafe import escape
from PIL import ExifTags, Image
from sqlalchemy import func, select

from app.extensions import db
from app.uploads import MAX_FILE_BYTES
from models import Message, MessageAttachment
from tests.conftest import stored_files
from tests.factories import ServiceListingFactory
from tests.files import image_bytes, jpeg_with_gps, pdf_bytes, png_claiming
from tests.marketplace.messaging.conftest import make_thread, thread_messages
from tests.query_count import count_queries


@pytest.fixture
def send(client, csrf):
    """send(thread, *files, body=..., htmx=False) -> the reply's response; files are (bytes, name)."""

    def reply(thread, *files: tuple[bytes, str], body: str = "Here you are.", htmx: bool = False):
        return client.post(
            f"/messages/{thread.id}/reply",
            data={
                "csrf_token": csrf(),
                "body": body,
                "attachments": [(BytesIO(data), name) for data, name in files],
            },
            content_type="multipart/form-data",
            headers={"HX-Request": "true"} if htmx else {},
        )

    return reply


def _attachments() -> list[MessageAttachment]:
    db.session.expire_all()
    return list(db.session.scalars(select(MessageAttachment).order_by(MessageAttachment.id)))


def _message_count(thread) -> int:
    return db.session.scalar(select(func.count()).select_from(Message).where(Message.thread_id == thread.id))


def test_a_seller_sends_a_pdf_and_a_photo_and_both_show_in_the_thread(
    client, login_as, send, conversation, seller, buyer, uploads
):
    login_as(seller)
    response = send(conversation, (pdf_bytes(), "Hip scores.pdf"), (image_bytes("PNG"), "puppy.png"))
    assert response.status_code == 302
    pdf, png = _attachments()
    assert (pdf.file_name, pdf.content_type, pdf.position, pdf.thumbnail_path) == (
        "Hip scores.pdf",
        "application/pdf",
        0,
        None,
    )
    assert (png.file_name, png.content_type, png.position) == ("puppy.png", "image/png", 1)
    assert (png.thumbnail_width, png.thumbnail_height) == (320, 240)
    assert thread_messages(conversation.id)[-1].id == pdf.message_id == png.message_id
    folder = f"attachments/{conversation.id}/{pdf.message_id}/"
    assert all(name.startswith(folder) for name in stored_files(uploads)) and len(stored_files(uploads)) == 3
    assert uploads.get(pdf.storage_path) == pdf_bytes()

    login_as(buyer)
    page = client.get(f"/messages/{conversation.id}").get_data(as_text=True)
    assert f'href="/messages/{conversation.id}/attachments/{pdf.id}" download' in page
    assert "Hip scores.pdf" in page and "PDF ·" in page
    assert f'src="/messages/{conversation.id}/attachments/{png.id}/thumbnail"' in page
    assert f"/attachments/{pdf.id}/thumbnail" not in page


def test_a_message_can_be_only_files(client, login_as, send, conversation, seller, buyer, uploads):
    login_as(seller)
    assert send(conversation, (pdf_bytes(), "results.pdf"), body="").status_code == 302
    assert thread_messages(conversation.id)[-1].message_text == ""
    login_as(buyer)
    assert "Sent an attachment" in client.get("/messages").get_data(as_text=True)


def test_an_empty_reply_without_files_is_still_refused(login_as, send, conversation, seller, uploads):
    login_as(seller)
    response = send(conversation, body="")
    assert response.status_code == 422
    assert "Write a message first." in response.get_data(as_text=True)


def test_an_htmx_reply_with_files_shows_them_at_once(login_as, send, conversation, seller, uploads):
    login_as(seller)
    response = send(conversation, (pdf_bytes(), "results.pdf"), htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "results.pdf" in html and 'enctype="multipart/form-data"' in html


def test_image_attachments_lose_their_gps_tags(login_as, send, conversation, seller, uploads):
    login_as(seller)
    send(conversation, (jpeg_with_gps(), "kennel.jpg"))
    (attachment,) = _attachments()
    for path in (attachment.storage_path, attachment.thumbnail_path):
        data = uploads.get(path)
        stored = Image.open(BytesIO(data))
        assert not stored.getexif().get_ifd(ExifTags.IFD.GPSInfo) and not stored.getexif()
        assert b"GPS" not in data and b"PhoneCo" not in data
    assert Image.open(BytesIO(uploads.get(attachment.storage_path))).format == "JPEG"


# --- who can open an attachment --------------------------------------------------------------------------------


@pytest.fixture
def sent(login_as, send, conversation, seller, uploads):
    """A PDF and a JPEG the seller sent in the conversation."""
    login_as(seller)
    assert (
        send(
            conversation, (pdf_bytes(), "Health results.pdf"), (image_bytes("JPEG"), "x-ray.jpg")
        ).status_code
        == 302
    )
    return _attachments()


@pytest.mark.parametrize("who", ["buyer", "seller"])
def test_the_two_participants_download_the_file_as_an_attachment(
    client, login_as, sent, conversation, who, request
):
    login_as(request.getfixturevalue(who))
    pdf, jpeg = sent
    response = client.get(f"/messages/{conversation.id}/attachments/{pdf.id}")
    assert response.status_code == 200
    assert response.data == pdf_bytes()
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "Health results.pdf" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"] and "private" in response.headers["Cache-Control"]
    thumbnail = client.get(f"/messages/{conversation.id}/attachments/{jpeg.id}/thumbnail")
    assert thumbnail.status_code == 200 and thumbnail.mimetype == "image/webp"
    assert thumbnail.headers["Content-Disposition"].startswith("attachment;")
    assert thumbnail.headers["X-Content-Type-Options"] == "nosniff"
    assert Image.open(BytesIO(thumbnail.data)).format == "WEBP"


@pytest.mark.parametrize("suffix", ["", "/thumbnail"])
@pytest.mark.parametrize("who", ["outsider", "signed_out", "other_threads_buyer", "other_thread_id"])
def test_anyone_else_gets_a_404(client, login_as, sent, conversation, outsider, seller, who, suffix):
    pdf, jpeg = sent
    attachment = jpeg if suffix else pdf
    thread_id = conversation.id
    if who == "outsider":
        login_as(outsider)
    elif who == "signed_out":
        with client.session_transaction() as session:
            session.clear()
    else:
        # Someone with a thread of their own with the same seller, trying this file's id under either thread.
        mine = make_thread(ServiceListingFactory(provider_user=seller), outsider, [(outsider, "Hi")])
        login_as(outsider)
        if who == "other_thread_id":
            thread_id = mine.id
    response = client.get(f"/messages/{thread_id}/attachments/{attachment.id}{suffix}")
    assert response.status_code == 404
    assert "Health results" not in response.get_data(as_text=True)


def test_the_seller_asking_under_another_of_their_threads_gets_a_404(
    client, login_as, sent, listing, seller, outsider
):
    pdf, _ = sent
    other = make_thread(listing, outsider, [(outsider, "Hi")])
    login_as(seller)  # a participant of both threads, but the file is not in this one
    assert client.get(f"/messages/{other.id}/attachments/{pdf.id}").status_code == 404


def test_a_missing_attachment_id_is_a_404(client, login_as, conversation, buyer):
    login_as(buyer)
    assert client.get(f"/messages/{conversation.id}/attachments/987654").status_code == 404
    assert client.get(f"/messages/{conversation.id}/attachments/{2**31}").status_code == 404


def test_a_pdf_has_no_thumbnail(client, login_as, sent, conversation, buyer):
    login_as(buyer)
    assert client.get(f"/messages/{conversation.id}/attachments/{sent[0].id}/thumbnail").status_code == 404


# --- refused -------------------------------------------------------------------------------------------------


def test_files_are_refused_when_the_thread_is_blocked(login_as, send, listing, buyer, seller, uploads):
    blocked = make_thread(listing, buyer, [(buyer, "Hello")], status="blocked")
    login_as(seller)
    response = send(blocked, (pdf_bytes(), "results.pdf"))
    assert response.status_code == 409
    assert "This conversation is blocked" in response.get_data(as_text=True)
    assert _attachments() == [] and stored_files(uploads) == [] and _message_count(blocked) == 1


BAD_FILES = [
    pytest.param(
        [(image_bytes("JPEG"), "results.pdf")],
        "“results.pdf” is a JPEG image, not a PDF as its name says.",
        id="jpeg-named-pdf",
    ),
    pytest.param(
        [(b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", "cut.pdf")],
        "“cut.pdf” is not a complete PDF: its end is missing.",
        id="truncated-pdf",
    ),
    pytest.param(
        [(pdf_bytes(), "scan.png")],
        "“scan.png” is a PDF, not a PNG image as its name says.",
        id="pdf-named-png",
    ),
    pytest.param(
        [(image_bytes("WEBP"), "photo.webp")],
        "“photo.webp”: only PDF, JPEG or PNG files are accepted.",
        id="webp-not-for-messages",
    ),
    pytest.param([(b"MZ\x90\x00", "setup.exe")], "only PDF, JPEG or PNG files are accepted", id="exe"),
    pytest.param(
        [(b"%PDF-" + b"\0" * MAX_FILE_BYTES, "big.pdf")], "“big.pdf” is larger than 10 MB.", id="oversized"
    ),
    pytest.param([(png_claiming(9_000, 9_000), "scan.png")], "has too many pixels", id="too-many-pixels"),
    pytest.param([(b"", "empty.pdf")], "“empty.pdf” is empty (0 bytes).", id="zero-bytes"),
    pytest.param(
        [(pdf_bytes(), f"file{n}.pdf") for n in range(6)],
        "Choose at most 5 files at a time; you chose 6.",
        id="too-many-files",
    ),
    pytest.param([(pdf_bytes(), "../../etc/passwd.pdf")], "includes a folder path", id="dot-dot-path"),
    pytest.param([(pdf_bytes(), "C:\\x.pdf")], "includes a folder path", id="windows-path"),
    pytest.param(
        [(pdf_bytes(), "fine.pdf"), (b"", "empty.png")],
        "“empty.png” is empty",  # one bad file refuses the message: the good one is not sent either
        id="one-bad-among-good",
    ),
]


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize(("files", "message"), BAD_FILES)
def test_a_bad_file_refuses_the_message_with_a_clear_message(
    login_as, send, conversation, seller, uploads, files, message, htmx
):
    login_as(seller)
    before = _message_count(conversation)
    response = send(conversation, *files, body="Results attached", htmx=htmx)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert escape(message) in html
    assert 'id="reply-attachments-error"' in html and "Results attached" in html  # the text is kept
    assert _message_count(conversation) == before
    assert _attachments() == [] and stored_files(uploads) == []


def test_a_failed_commit_leaves_no_file_behind(login_as, send, conversation, seller, uploads, monkeypatch):
    login_as(seller)

    def fail() -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(db.session, "commit", fail)
    response = send(conversation, (pdf_bytes(), "results.pdf"), (image_bytes("PNG"), "a.png"))
    monkeypatch.undo()
    assert response.status_code == 500
    assert stored_files(uploads) == []


def test_a_request_over_the_size_limit_names_the_limits(
    client, csrf, app, login_as, conversation, seller, monkeypatch
):
    login_as(seller)
    monkeypatch.setattr(app.view_functions["marketplace.reply"], "upload_limit", 2000)
    response = client.post(
        f"/messages/{conversation.id}/reply",
        data={"csrf_token": csrf(), "body": "x", "attachments": [(BytesIO(pdf_bytes() * 3), "a.pdf")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert "attach at most 5 files, each at most 10 MB" in response.get_data(as_text=True)


# --- the thread page reads every attachment in one query ---------------------------------------------------------


def test_the_thread_page_runs_the_same_queries_for_one_file_or_many(
    client, login_as, send, conversation, seller, buyer, uploads
):
    login_as(seller)
    send(conversation, (pdf_bytes(), "one.pdf"))
    login_as(buyer)
    client.get(f"/messages/{conversation.id}")
    with count_queries() as one_file:
        client.get(f"/messages/{conversation.id}")
    login_as(seller)
    for n in range(3):
        send(
            conversation, *[(image_bytes("PNG", (40, 30), f"#{n}{k}0000"), f"p{n}{k}.png") for k in range(5)]
        )
    login_as(buyer)
    client.get(f"/messages/{conversation.id}")
    with count_queries() as sixteen_files:
        page = client.get(f"/messages/{conversation.id}").get_data(as_text=True)
    assert page.count('class="attachment"') == 16
    assert len(sixteen_files) == len(one_file)
    assert sum('"MessageAttachment"' in statement for statement in sixteen_files) == 1
