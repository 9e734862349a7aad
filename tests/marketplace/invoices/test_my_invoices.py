"""My invoices: every linked breeder's invoices to a marketplace user, grouped by breeder, and the nav badge."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from tests.factories import ContactFactory, MarketplaceUserFactory
from tests.marketplace.invoices.conftest import InvoiceWorld, invoice_of, linked_contact
from tests.query_count import count_queries

NUMBER_RE = re.compile(r'href="/account/invoices/\d+">([\w-]+)</a>')
BADGE_RE = re.compile(r"data-open-invoices-badge>(\d+)<")


def _groups(page: str) -> dict[str, list[str]]:
    """Breeder name -> invoice numbers, in page order."""
    parts = re.split(r'<h2 id="breeder-\d+">([^<]+)</h2>', page)
    return {name: NUMBER_RE.findall(body) for name, body in zip(parts[1::2], parts[2::2], strict=True)}


def _balance_of(page: str, breeder: str) -> str:
    section = page.split(f">{breeder}</h2>", 1)[1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", section.split("</p>", 1)[0])).strip()


def test_a_user_linked_to_two_breeders_sees_both_groups_newest_first(invoice_world, login_as, client):
    login_as(invoice_world.buyer)

    page = client.get("/account/invoices").get_data(as_text=True)

    assert _groups(page) == {
        "River Stables": ["R-EUR", "R-USD", "R-ZERO"],
        "Sunny Kennels": ["S-ISSUED", "S-PARTIAL", "S-PAID", "S-VOID"],
    }


def test_each_breeder_shows_its_balance_due_per_currency(invoice_world, login_as, client):
    login_as(invoice_world.buyer)

    page = client.get("/account/invoices").get_data(as_text=True)

    assert _balance_of(page, "Sunny Kennels") == "Balance due: $225.00"
    assert _balance_of(page, "River Stables") == "Balance due: €70.00, $20.00"


def test_a_breeder_with_nothing_owed_says_so(invoice_world, login_as, client):
    for invoice in invoice_world.shown.values():
        invoice.balance_cents = 0
    db.session.flush()
    login_as(invoice_world.buyer)

    page = client.get("/account/invoices").get_data(as_text=True)

    assert _balance_of(page, "Sunny Kennels") == "Balance due: Nothing due"


def test_a_linked_breeder_without_invoices_gets_an_empty_group(login_as, client):
    buyer = MarketplaceUserFactory()
    linked_contact(ContactFactory().tenant, buyer)
    login_as(buyer)

    page = client.get("/account/invoices").get_data(as_text=True)

    assert "No invoices from Breeder" in page


def test_an_unlinked_user_sees_an_empty_state(invoice_world, login_as, client):
    login_as(MarketplaceUserFactory())

    response = client.get("/account/invoices")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "You have no invoices." in page
    assert NUMBER_RE.findall(page) == []


@pytest.mark.parametrize("which", ["draft", "deleted", "other_user", "unlinked_contact", "deleted_contact"])
def test_invoices_not_shown_to_this_user_are_neither_listed_nor_found(invoice_world, login_as, client, which):
    hidden = invoice_world.hidden[which]
    login_as(invoice_world.buyer)

    page = client.get("/account/invoices").get_data(as_text=True)

    assert hidden.number not in page
    assert "Gone Farm" not in page
    assert client.get(f"/account/invoices/{hidden.id}").status_code == 404


@pytest.mark.parametrize("path", ["/account/invoices", "/account/invoices/1"])
def test_signed_out_visitors_are_sent_to_sign_in(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next={path}"


def test_a_portal_client_session_is_sent_to_the_marketplace_sign_in(invoice_world, login_as, client):
    login_as(invoice_world.sunny_contact)

    response = client.get("/account/invoices")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_the_nav_counts_open_invoices_with_money_owed(invoice_world, login_as, client):
    login_as(invoice_world.buyer)

    page = client.get("/listings").get_data(as_text=True)

    # S-ISSUED, S-PARTIAL, R-EUR, R-USD; not paid, void, a zero balance, a draft, deleted or someone else's.
    assert BADGE_RE.findall(page) == ["4"]
    assert 'href="/account/invoices" class="nav-invoices"' in page


def test_the_nav_shows_no_count_when_nothing_is_open(login_as, client):
    login_as(MarketplaceUserFactory())

    page = client.get("/listings").get_data(as_text=True)

    assert 'class="nav-invoices"' in page
    assert "data-open-invoices-badge" not in page


def test_the_nav_has_no_invoices_link_when_signed_out(invoice_world, client):
    page = client.get("/listings").get_data(as_text=True)

    assert "nav-invoices" not in page and "data-open-invoices-badge" not in page


def test_the_list_runs_a_fixed_number_of_queries_whatever_the_number_of_invoices(
    invoice_world: InvoiceWorld, login_as, client
):
    def queries_for_list() -> int:
        login_as(invoice_world.buyer)
        with count_queries() as statements:
            response = client.get("/account/invoices")
        assert response.status_code == 200
        return len(statements)

    few = queries_for_list()
    for n in range(40):
        invoice_of(invoice_world.river_contact, f"R-MANY-{n}", 20 + n, is_marketplace_invoice=n % 2 == 0)
    db.session.flush()
    many = queries_for_list()

    # Sign-in identity with the user's linked breeders (their scope in the database), the breeders with balances,
    # the invoices, and the nav's two badges.
    assert few == many == 5


def test_the_list_is_bounded_per_breeder(invoice_world, login_as, client, monkeypatch):
    monkeypatch.setattr("marketplace.invoices.queries.PER_BREEDER_LIMIT", 2)
    monkeypatch.setattr("marketplace.invoices.routes.PER_BREEDER_LIMIT", 2)
    login_as(invoice_world.buyer)

    page = client.get("/account/invoices").get_data(as_text=True)

    assert _groups(page) == {"River Stables": ["R-EUR", "R-USD"], "Sunny Kennels": ["S-ISSUED", "S-PARTIAL"]}
    assert "The newest 2 invoices from Sunny Kennels are shown." in page
    assert _balance_of(page, "River Stables") == "Balance due: €70.00, $20.00"  # balances count every invoice


def test_a_breeder_linked_after_sign_in_shows_on_the_next_page_of_the_same_session(login_as, client):
    buyer = MarketplaceUserFactory()
    login_as(buyer)
    assert "No invoices from Breeder" not in client.get("/account/invoices").get_data(as_text=True)

    linked_contact(ContactFactory().tenant, buyer)  # a breeder links the account, elsewhere
    db.session.flush()

    assert "No invoices from Breeder" in client.get("/account/invoices").get_data(as_text=True)
