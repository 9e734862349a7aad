"""Reading what a reader reads: the totals lines of an invoice page, and the text of a PDF."""

from __future__ import annotations

import html
import io
import re
import unicodedata

from pypdf import PdfReader

TOTALS_ROW_RE = re.compile(
    r'<tr class="(?P<css>[a-z-]+-row)">\s*<th scope="row" colspan="3">(?P<label>[^<]*)</th>\s*'
    r'<td class="num">(?:<span class="total-sign">(?P<sign>[^<]*)</span> )?(?P<amount>[^<]*)</td>',
)


def page_totals(page: str) -> list[tuple[str, str, str]]:
    """(label, sign, amount) of each totals line, top to bottom, as the page shows them."""
    return [
        (html.unescape(match["label"]), match["sign"] or "", html.unescape(match["amount"]))
        for match in TOTALS_ROW_RE.finditer(page)
    ]


def cents(amount: str) -> int:
    """'$1,865.00' or '€70.00' -> cents, read back from the text a reader sees."""
    digits = re.sub(r"[^0-9.]", "", amount)
    whole, _, fraction = digits.partition(".")
    return int(whole) * 100 + int((fraction + "00")[:2])


def adds_up(lines: list[tuple[str, str, str]]) -> bool:
    """Does the reader's arithmetic hold: start, add (+) or take away (−), and every '=' line is the sum so far."""
    running = None
    for _label, sign, amount in lines:
        value = cents(amount)
        if sign == "":
            running = value
        elif sign == "+":
            running += value
        elif sign == "−":
            running -= value
        elif sign == "=" and value != running:
            return False
    return running is not None and sign == "="


def pdf_text(data: bytes) -> str:
    """Every page's text, as a PDF reader would copy it (composed: 'é' as one character, as the page has it).
    Right-to-left runs come out in the order they are drawn, as in any PDF."""
    reader = PdfReader(io.BytesIO(data))
    return unicodedata.normalize("NFC", "\n".join(page.extract_text() or "" for page in reader.pages))
