"""The pages the bench drives, as users meet them: who is signed in, and the address."""

from __future__ import annotations

import math
from dataclasses import dataclass
from urllib.parse import urlencode

from app.scale_seed import BROAD_QUERY, DEFAULT_PASSWORD, HEAVY_CLIENT_EMAIL, HEAVY_SELLER_EMAIL
from bench.browser import Browser, parse
from bench.targets import Targets

ANONYMOUS, SELLER, CLIENT = "anonymous", "seller", "client"
# The portal's list size (portal/invoices/routes.py DEFAULT_PAGE_SIZE), for when the page links no last page.
PORTAL_PAGE_SIZE = 20


@dataclass(frozen=True)
class Page:
    name: str
    label: str
    path: str
    who: str = ANONYMOUS


def sign_in(browser: Browser, who: str, slug: str) -> None:
    if who == SELLER:
        browser.sign_in("/login", HEAVY_SELLER_EMAIL, DEFAULT_PASSWORD)
    elif who == CLIENT:
        browser.sign_in(f"/portal/{slug}/login", HEAVY_CLIENT_EMAIL, DEFAULT_PASSWORD)


def signed_in_browsers(base_url: str, slug: str) -> dict[str, Browser]:
    """A browser for each kind of visitor, the seller and the client signed in through the forms."""
    browsers = {ANONYMOUS: Browser(base_url)}
    for who in (SELLER, CLIENT):
        browsers[who] = Browser(base_url)
        sign_in(browsers[who], who, slug)
    return browsers


def deepest_invoices_path(client: Browser, first: str, invoices: int) -> str:
    """The list's own "last" link when it has one; else where its "next" links lead when they stop (this works
    for page numbers and cursors alike); ?page=N from the count only if that walk is too long."""
    path, hops = first, math.ceil(invoices / PORTAL_PAGE_SIZE) + 5
    for _ in range(hops):
        page = client.get(path)
        if page.status != 200:
            raise RuntimeError(f"{path}: HTTP {page.status} while looking for the last invoices page")
        links = parse(page.body).links
        if "last" in links:
            return links["last"]
        if "next" not in links:
            return path
        path = links["next"]
    return f"{first}?{urlencode({'page': hops})}"


def pages(targets: Targets, deepest_invoices: str) -> list[Page]:
    slug = targets.tenant_slug
    invoices = f"/portal/{slug}/invoices"
    return [
        Page(
            "search_broad",
            f"search, broad ({BROAD_QUERY})",
            "/listings?" + urlencode({"q": BROAD_QUERY}),
        ),
        Page(
            "search_narrow",
            f"search, narrow ({targets.narrow_query})",
            "/listings?" + urlencode({"q": targets.narrow_query}),
        ),
        Page(
            "browse_first",
            f"browse {targets.category}, page 1",
            "/listings?" + targets.browse_query(),
        ),
        Page(
            "browse_deep",
            f"browse, {targets.deep_rows:,} rows deep",
            "/listings?" + targets.browse_query(after=targets.deep_after),
        ),
        Page("listing", "listing page", f"/listings/{targets.listing_id}"),
        Page("inbox", "inbox, heavy seller", "/messages", SELLER),
        Page(
            "thread",
            f"thread of {targets.thread_messages:,} messages",
            f"/messages/{targets.thread_id}",
            SELLER,
        ),
        Page("invoices_first", f"invoices ({targets.invoices:,}), first page", invoices, CLIENT),
        Page("invoices_deepest", "invoices, deepest page", deepest_invoices, CLIENT),
        Page("invoice", "invoice page", f"{invoices}/{targets.invoice_id}", CLIENT),
    ]
