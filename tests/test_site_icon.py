"""The site icon: every page links it, and /favicon.ico answers with a real icon a browser may cache."""

from __future__ import annotations

import io

from PIL import Image


def test_favicon_is_a_real_cacheable_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon"
    assert "max-age=604800" in response.headers["Cache-Control"]
    assert "no-store" not in response.headers["Cache-Control"]
    icon = Image.open(io.BytesIO(response.data))
    assert icon.format == "ICO" and (32, 32) in icon.info["sizes"]


def test_pages_of_both_faces_link_the_icon(client):
    for path in ("/listings", "/login", "/portal/no-such-breeder/login"):
        page = client.get(path).get_data(as_text=True)
        assert '<link rel="icon" href="/favicon.ico"' in page, path
