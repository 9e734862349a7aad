"""Reading the listing browser's result pages in tests: the page's HTML, its "Showing …" summary, its Next and
Previous links, and the titles met by following Next."""

from __future__ import annotations

import html as html_module
import re

SUMMARY_RE = re.compile(r'<p class="results-summary">(.*?)</p>', re.DOTALL)
LINK_RE = re.compile(r'href="(/listings\?[^"]*)" rel="(next|prev)"')


def get_page(client, url: str) -> str:
    response = client.get(html_module.unescape(url))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def summary(page: str) -> str:
    text = re.sub(r"<[^>]+>", "", SUMMARY_RE.search(page).group(1))
    return " ".join(html_module.unescape(text).split())


def links(page: str) -> dict[str, str]:
    return {rel: href for href, rel in LINK_RE.findall(page)}


def follow_next(client, url: str, titles: re.Pattern[str], max_pages: int = 5) -> tuple[list[list[str]], str]:
    """The titles on each page from `url` on, following Next up to `max_pages` pages, and the last page's HTML."""
    seen: list[list[str]] = []
    page = ""
    for _ in range(max_pages):
        page = get_page(client, url)
        seen.append(titles.findall(page))
        url = links(page).get("next", "")
        if not url:
            break
    return seen, page
