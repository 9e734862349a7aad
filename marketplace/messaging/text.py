"""How a message's text is shown: escaped, line breaks kept, http(s) links made clickable but safe.

The markup is built piece by piece with markupsafe, so user text is never marked safe unescaped.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

URL_RE = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
# Punctuation that usually ends the sentence rather than the URL ("see https://x.org/a.").
TRAILING_PUNCTUATION = ".,;:!?)]}"
LINK_REL = "nofollow noopener"
SNIPPET_LENGTH = 140


def _split_trailing(url: str) -> tuple[str, str]:
    trimmed = url.rstrip(TRAILING_PUNCTUATION)
    # Keep a closing parenthesis that belongs to the URL (Wikipedia-style "Foo_(bar)").
    while url[len(trimmed) : len(trimmed) + 1] == ")" and trimmed.count("(") > trimmed.count(")"):
        trimmed += ")"
    return trimmed, url[len(trimmed) :]


def _link(url: str) -> Markup:
    return Markup('<a href="{0}" rel="{1}" target="_blank">{0}</a>').format(url, LINK_REL)


def _linkify_line(line: str) -> Markup:
    if "://" not in line:  # most lines: no URL to look for
        return escape(line)
    parts: list[Markup] = []
    position = 0
    for match in URL_RE.finditer(line):
        url, rest = _split_trailing(match.group(0))
        parts.append(escape(line[position : match.start()]))
        parts.append(_link(url) if len(url) > len("https://") else escape(url))
        parts.append(escape(rest))
        position = match.end()
    parts.append(escape(line[position:]))
    return Markup("").join(parts)


def message_html(text: str) -> Markup:
    """The message as HTML: every character escaped, newlines as <br>, http(s) URLs as nofollow links."""
    if "\n" not in text and "\r" not in text:
        return _linkify_line(text)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return Markup("<br>\n").join(_linkify_line(line) for line in lines)


def snippet(text: str | None, length: int = SNIPPET_LENGTH) -> str:
    """One line of plain text for the inbox (escaped later by Jinja like any other string)."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= length else flat[: length - 1].rstrip() + "…"
