"""Files sent with a message: up to MAX_ATTACHMENTS per message, PDF, JPEG or PNG, at most 10 MB each.

Checked like listing photos (app/uploads.py): the type comes from the content, images are re-encoded from their
pixels in their own format (no EXIF or GPS survives) and get a WebP thumbnail for the thread page, PDFs are
checked by header and trailer. Files are stored privately (app/storage.py, `attachments/<thread id>/<message
id>/...`) and only ever leave through the download views, which check that the reader takes part in the thread.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.storage import StagedWrites
from app.uploads import (
    Upload,
    check_pdf,
    encode,
    fitted,
    normalized,
    open_image,
    prepare_all,
    promised_kind,
    read_uploads,
)
from models import MAX_ATTACHMENTS, AttachmentType, MessageAttachment

ATTACHMENT_KINDS = ("PDF", "JPEG", "PNG")
CONTENT_TYPE = {"PDF": AttachmentType.PDF, "JPEG": AttachmentType.JPEG, "PNG": AttachmentType.PNG}
EXTENSION = {"PDF": "pdf", "JPEG": "jpg", "PNG": "png"}
THUMBNAIL_BOX = (320, 240)
KIND_LABEL = {AttachmentType.PDF: "PDF", AttachmentType.JPEG: "JPEG image", AttachmentType.PNG: "PNG image"}


@dataclass(frozen=True)
class PreparedAttachment:
    """A checked file, ready to store; nothing is written yet."""

    name: str
    kind: str
    data: bytes
    thumbnail: bytes | None = None
    thumbnail_size: tuple[int, int] | None = None


def prepare_attachment(upload: Upload) -> PreparedAttachment:
    """Checked: the content is what the name says (PDF, JPEG or PNG); an image is re-encoded without metadata
    and gets a thumbnail."""
    kind = promised_kind(upload, ATTACHMENT_KINDS)
    if kind == "PDF":
        check_pdf(upload)
        return PreparedAttachment(upload.name, kind, upload.data)
    image = normalized(open_image(upload, kind))
    thumbnail = fitted(image, THUMBNAIL_BOX)
    return PreparedAttachment(
        upload.name, kind, encode(image, kind), encode(thumbnail, "WEBP"), (thumbnail.width, thumbnail.height)
    )


def prepare_attachments(files: Iterable[FileStorage]) -> list[PreparedAttachment]:
    """The chosen files, each checked; one UploadRefused naming every refused file and why."""
    return prepare_all(read_uploads(files, max_files=MAX_ATTACHMENTS, noun="files"), prepare_attachment)


def _path(folder: str, data: bytes, extension: str) -> str:
    return f"{folder}/{hashlib.sha256(data).hexdigest()}.{extension}"


def save_attachments(
    files: StagedWrites, prepared: list[PreparedAttachment], thread_id: int, message_id: int
) -> None:
    """Write the files under the new message's own folder (so no other message shares them) and add their rows.
    Called inside the send, after the message's insert; the caller commits, then keeps the files."""
    folder = f"attachments/{thread_id}/{message_id}"
    for position, each in enumerate(prepared):
        path = _path(folder, each.data, EXTENSION[each.kind])
        files.put(path, each.data)
        thumbnail_path = None
        if each.thumbnail is not None:
            thumbnail_path = _path(folder, each.thumbnail, "webp")
            files.put(thumbnail_path, each.thumbnail)
        db.session.add(
            MessageAttachment(
                message_id=message_id,
                position=position,
                file_name=each.name,
                content_type=CONTENT_TYPE[each.kind],
                size_bytes=len(each.data),
                storage_path=path,
                thumbnail_path=thumbnail_path,
                thumbnail_width=each.thumbnail_size[0] if each.thumbnail_size else None,
                thumbnail_height=each.thumbnail_size[1] if each.thumbnail_size else None,
            )
        )
    db.session.flush()
