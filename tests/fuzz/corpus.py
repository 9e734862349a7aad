"""The values the fuzz suite sends: a corpus of known-hostile ones, and Hypothesis strategies for the rest.

A value is `str` (sent percent-encoded as UTF-8) or `bytes` (sent percent-encoded as is: how a client sends
bytes that are not UTF-8). The markers are what the reflection check looks for: each is harmless only if the page
escapes it, so any of DANGEROUS found raw in an HTML answer is a value reflected unescaped.
"""

from __future__ import annotations

from hypothesis import strategies as st

MARKERS = (
    "<script>fz(1)</script>",
    '"><img src=x onerror=fz(2)>',
    "' onmouseover='fz(3)",
    "javascript:fz(4)",
)
# What a marker looks like when a page did NOT escape it (inside text, or breaking out of an attribute), or put
# it where a browser runs it (a link's address; in a hidden field's value it is only text).
DANGEROUS = (
    "<script>fz(",
    "<img src=x onerror=fz(",
    "onmouseover='fz(",
    *(
        f"{attribute}={quote}javascript:fz("
        for attribute in ("href", "src", "action", "formaction", "hx-get", "hx-post")
        for quote in "\"'"
    ),
)

Value = str | bytes

# Several hostile traits share one value where they cannot hide each other, so each field meets them all in few
# requests: SQL, tsquery and HTML together; right-to-left, zero-width and emoji together.
CORPUS: tuple[Value, ...] = (
    MARKERS[0] + "' OR '1'='1' -- !!!(:*&|<->) a:* & !b",
    MARKERS[3] + MARKERS[2] + MARKERS[1] + '1; DROP TABLE "Invoice"; --',
    "9" * 300,  # past float's range: int() works, float() and NumberRange do not
    "-9223372036854775809",  # one past BIGINT, negative
    "1e309",
    b"\xff\xfe\xc3(caf\xe9",  # not UTF-8
    "\u202egnp.exe\u200b\u200c\u200d\ufeff \u0645\u0631\u062d\u0628\u0627 \u05e9\u05dc\u05d5\u05dd 😀",
    "\u200b\u200d\ufeff",  # zero-width characters only: "empty" to a person
    "x" * 20_000,  # far longer than any column
    "//evil.example/../../etc/passwd",
)

# Refused before any view runs (app.security answers a NUL anywhere with 400): sent in every field of one request
# of its own, since in a request with other values it would keep them from being processed.
AT_THE_DOOR: tuple[Value, ...] = ("a\x00b",)

# A path argument: the converter (int) or the view (slugs, tokens, file names) must turn each into a 404 or a page.
PATH_CORPUS: tuple[str, ...] = (
    "9" * 300,
    "2147483648",  # one past INTEGER
    "<script>fz(1)</script>' OR 1=1 --",
    "%FF%FEa%00b..%2F..%2Fetc%2Fpasswd",
)
# An <int:> argument goes through one converter (app.security.DatabaseIdConverter) in every route: the numbers
# reach it, anything else is no match.
INT_PATH_CORPUS: tuple[str, ...] = (PATH_CORPUS[1],)

text_with_a_marker = st.builds(
    lambda before, marker, after: f"{before}{marker}{after}",
    st.text(max_size=20),
    st.sampled_from(MARKERS),
    st.text(max_size=20),
)

values: st.SearchStrategy[Value] = st.one_of(
    st.sampled_from(CORPUS),
    st.text(max_size=200),
    text_with_a_marker,
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.binary(max_size=40),
    st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str),
)
