"""Files for upload tests, made in the test: real images (one with GPS in its EXIF), a real PDF, and hostile
ones (a PNG header claiming too many pixels, a truncated JPEG)."""

from __future__ import annotations

import struct
import time
import zlib
from io import BytesIO

from PIL import ExifTags, Image, ImageDraw

# Dallas, roughly: where a seller's phone would have put them.
GPS = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (32.0, 46.0, 45.0),
    ExifTags.GPS.GPSLongitudeRef: "W",
    ExifTags.GPS.GPSLongitude: (96.0, 48.0, 0.0),
}


def picture(size: tuple[int, int] = (800, 600), color: str = "#2f6f4f", mode: str = "RGB") -> Image.Image:
    image = Image.new(mode, size, color)
    draw = ImageDraw.Draw(image)
    width, height = size
    draw.ellipse((width // 4, height // 4, width * 3 // 4, height * 3 // 4), fill="#b7791f")
    draw.rectangle((0, 0, width // 8, height // 8), fill="#ffffff")  # marks the top-left corner
    return image


def image_bytes(
    kind: str = "JPEG", size: tuple[int, int] = (800, 600), color: str = "#2f6f4f", **save
) -> bytes:
    out = BytesIO()
    picture(size, color, "RGBA" if kind == "PNG" and save.pop("alpha", False) else "RGB").save(
        out, kind, **save
    )
    return out.getvalue()


def jpeg_with_gps(size: tuple[int, int] = (800, 600)) -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif[ExifTags.Base.Model] = "Pocket 12"
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(GPS)
    data = image_bytes("JPEG", size, exif=exif)
    assert Image.open(BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo), "the test file must carry GPS"
    return data


def png_claiming(width: int, height: int) -> bytes:
    """A small PNG whose header says it is width × height pixels (a decompression bomb's calling card)."""
    data = bytearray(image_bytes("PNG", (1, 1)))
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def pdf_bytes() -> bytes:
    """A real one-page PDF, the same bytes every time."""
    out = BytesIO()
    when = time.gmtime(1_767_323_045)
    picture((200, 120)).save(out, "PDF", creationDate=when, modDate=when)
    return out.getvalue()
