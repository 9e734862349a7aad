"""The sales dashboard: the list with filters, keyset pages and totals, the CSV, a sale without a conversation,
and who may see any of it."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from app.extensions import db
from models import Party
from tests.factories import PartyFactory
from tests.marketplace.sales.conftest import audit_events, make_sale, sale_form, sales_of, verified_seller
from tests.query_count import count_queries


def _sales_on(tenant, days: list[date], **fields):
    return [make_sale(tenant, transaction_date=day, **fields) for day in days]


# --- the list --------------------------------------------------------------------------------------------------


def test_the_list_shows_the_breeders_sales_newest_first_with_totals(
    client, login_as, seller, tenant, other_tenant, party
):
    old = make_sale(
        tenant, transaction_date=date(2026, 10, 3), service_description="October puppy", client_party=party
    )
    same_day_a = make_sale(tenant, transaction_date=date(2026, 11, 5), service_description="Grooming A")
    same_day_b = make_sale(
        tenant, transaction_date=date(2026, 11, 5), service_description="Grooming B", status="completed"
    )
    make_sale(
        other_tenant, service_description="Someone else's sale", amount_cents=99_999_00, platform_fee_cents=0
    )
    login_as(seller)

    page = client.get("/dashboard/sales").get_data(as_text=True)

    order = [page.index(f'id="sale-{sale.id}"') for sale in (same_day_b, same_day_a, old)]
    assert order == sorted(order)
    assert "Someone else" not in page
    assert "Zoë O&#39;Brien" in page
    assert 'data-total="count">3<' in page
    assert 'data-total="gross">$750.00<' in page
    assert 'data-total="fee">$37.50<' in page
    assert 'data-total="net">$712.50<' in page


def test_filters_by_status_and_month_and_ignore_bad_values_with_a_note(client, login_as, seller, tenant):
    november = make_sale(tenant, transaction_date=date(2026, 11, 30), service_description="Nov pending")
    done = make_sale(
        tenant, transaction_date=date(2026, 11, 1), service_description="Nov done", status="completed"
    )
    december = make_sale(tenant, transaction_date=date(2026, 12, 1), service_description="Dec pending")
    login_as(seller)

    page = client.get("/dashboard/sales?status=pending&month=2026-11").get_data(as_text=True)
    assert (
        f"sale-{november.id}" in page and f"sale-{done.id}" not in page and f"sale-{december.id}" not in page
    )
    assert 'data-total="count">1<' in page

    page = client.get("/dashboard/sales?status=paid&month=2026-13").get_data(as_text=True)
    assert "Unknown status “paid” ignored" in page and "“2026-13” is not a month" in page
    assert 'data-total="count">3<' in page

    response = client.get("/dashboard/sales?month=9999999999-01&status=" + "x" * 500)
    assert response.status_code == 200


def test_keyset_pages_walk_every_sale_once_and_forged_cursors_start_over(client, login_as, seller, tenant):
    from marketplace.sales.queries import SALES_PAGE_SIZE

    days = [date(2026, 1 + i % 12, 1 + i % 28) for i in range(SALES_PAGE_SIZE * 2 + 3)]
    sales = _sales_on(tenant, days)
    login_as(seller)
    seen: list[int] = []
    url = "/dashboard/sales"
    pages = 0
    while url:
        page = client.get(url).get_data(as_text=True)
        pages += 1
        shown = [sale.id for sale in sales if f'id="sale-{sale.id}"' in page]
        seen += sorted(shown, key=lambda sale_id: page.index(f'id="sale-{sale_id}"'))
        marker = 'rel="next"'
        if marker not in page:
            break
        href = page[: page.index(marker)].rsplit('href="', 1)[1].split('"', 1)[0]
        url = href.replace("&amp;", "&")
    assert pages == 3
    assert sorted(seen) == sorted(s.id for s in sales) and len(seen) == len(set(seen))
    expected = [s.id for s in sorted(sales, key=lambda s: (s.transaction_date, s.id), reverse=True)]
    assert seen[:SALES_PAGE_SIZE] == expected[:SALES_PAGE_SIZE]

    for forged in ("2026-02-30,1", "yesterday,5", "2026-01-01,99999999999", "2026-01-01", "'; drop table"):
        response = client.get("/dashboard/sales", query_string={"after": forged})
        assert response.status_code == 200
        assert f'id="sale-{expected[0]}"' in response.get_data(as_text=True)


def test_a_page_runs_a_fixed_number_of_queries(client, login_as, seller, tenant, party):
    login_as(seller)
    _sales_on(tenant, [date(2026, 11, 1)] * 3, client_party=party)
    client.get("/dashboard/sales")  # warm up
    with count_queries() as few:
        assert client.get("/dashboard/sales").status_code == 200
    _sales_on(tenant, [date(2026, 11, 2)] * 20, client_party=party)
    with count_queries() as many:
        assert client.get("/dashboard/sales?status=pending").status_code == 200
    # The signed-in user (with their linked breeders), the page, the totals (one aggregate), the navigation's unread
    # and open-invoice badges.
    assert len(few) == len(many) == 4, many


# --- the CSV ---------------------------------------------------------------------------------------------------


def test_the_csv_has_the_filtered_sales_in_dollars_and_no_formulas(
    client, login_as, seller, tenant, other_tenant
):
    make_sale(
        tenant,
        transaction_date=date(2026, 11, 2),
        service_description='=HYPERLINK("http://evil")',
        amount_cents=2_147_483_648,
        platform_fee_cents=107_374_182,
        notes="+1 call me",
        payment_method="bank_transfer",
    )
    make_sale(
        tenant, transaction_date=date(2026, 11, 1), service_description="-minus", client_description="@home"
    )
    make_sale(tenant, transaction_date=date(2026, 10, 1), service_description="October")
    make_sale(other_tenant, transaction_date=date(2026, 11, 3), service_description="Not ours")
    login_as(seller)

    response = client.get("/dashboard/sales.csv?month=2026-11")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="sales-2026-11.csv"'
    assert response.is_streamed
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:9] == [
        "Date",
        "Sale",
        "Status",
        "Description",
        "Client",
        "Listing",
        "Amount",
        "Platform fee",
        "Net payout",
    ]
    assert len(rows) == 3
    first, second = rows[1], rows[2]
    assert first[0] == "2026-11-02" and first[3] == '\'=HYPERLINK("http://evil")'
    assert first[6:9] == ["21474836.48", "1073741.82", "20401094.66"]
    assert first[10] == "Bank transfer" and first[12] == "'+1 call me"
    assert second[3] == "'-minus" and second[4] == "'@home"
    assert "Not ours" not in response.get_data(as_text=True)


def test_the_csv_streams_more_rows_than_one_batch(client, login_as, seller, tenant, monkeypatch):
    import marketplace.sales.queries as queries

    monkeypatch.setattr(queries, "CSV_BATCH_ROWS", 7)
    _sales_on(tenant, [date(2026, 11, 1 + i % 28) for i in range(20)])
    login_as(seller)
    rows = list(csv.reader(io.StringIO(client.get("/dashboard/sales.csv").get_data(as_text=True))))
    assert len(rows) == 21 and len({row[1] for row in rows[1:]}) == 20


def test_csv_cells_starting_with_a_formula_sign_are_quoted():
    from marketplace.sales.routes import csv_cell

    assert [csv_cell(v) for v in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "plain", None, "a=b")] == [
        "'=1+1",
        "'+1",
        "'-1",
        "'@SUM(A1)",
        "'\tx",
        "plain",
        "",
        "a=b",
    ]


# --- a sale without a conversation ----------------------------------------------------------------------------


def test_new_sale_form_lists_the_breeders_own_parties_by_name(client, login_as, seller, tenant, other_tenant):
    PartyFactory(tenant=tenant, name="Zed")
    PartyFactory(tenant=tenant, name="Abe")
    PartyFactory(tenant=other_tenant, name="Foreign Client")
    login_as(seller)
    page = client.get("/dashboard/sales/new").get_data(as_text=True)
    assert page.index(">Abe<") < page.index(">Zed<")
    assert "Foreign Client" not in page
    assert f'value="{date.today().isoformat()}"' in page


def test_a_sale_for_one_of_the_breeders_parties(client, login_as, post, seller, tenant, party):
    login_as(seller)
    response = post(
        "/dashboard/sales/new",
        client_party_id=str(party.id),
        **sale_form(amount="80", description="Transport"),
    )
    assert response.status_code == 303
    [sale] = sales_of(tenant.id)
    assert (sale.client_party_id, sale.client_description, sale.client_user_id, sale.service_listing_id) == (
        party.id,
        None,
        None,
        None,
    )
    assert (sale.amount_cents, sale.platform_fee_cents, sale.status) == (8_000, 400, "pending")
    [event] = audit_events("sale.recorded")
    assert event.after["client_party_id"] == party.id


def test_a_sale_for_a_described_client(client, login_as, post, seller, tenant):
    login_as(seller)
    response = post("/dashboard/sales/new", client_description="  Walk-in   at the fair ", **sale_form())
    assert response.status_code == 303
    [sale] = sales_of(tenant.id)
    assert (sale.client_party_id, sale.client_description) == (None, "Walk-in at the fair")


@pytest.mark.parametrize(
    ("client_fields", "message"),
    [
        ({}, "Choose a client from the list or describe the client (one of the two)."),
        ({"client_party_id": "PARTY", "client_description": "Also this"}, "one of the two"),
        ({"client_party_id": "99999999"}, "Choose a client from the list."),
        ({"client_party_id": "99999999999999"}, "Choose a client from the list."),
        ({"client_party_id": "abc"}, "Choose a client from the list."),
        ({"client_party_id": "FOREIGN"}, "Choose a client from the list."),
    ],
)
def test_the_client_is_one_of_the_breeders_parties_or_a_description(
    client, login_as, post, seller, tenant, other_tenant, party, client_fields, message
):
    foreign = PartyFactory(tenant=other_tenant)
    fields = {
        key: {"PARTY": str(party.id), "FOREIGN": str(foreign.id)}.get(value, value)
        for key, value in client_fields.items()
    }
    login_as(seller)
    response = post("/dashboard/sales/new", **fields, **sale_form())
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and 'id="client_party_id-error"' in page
    assert sales_of(tenant.id) == [] and sales_of(other_tenant.id) == [] and audit_events() == []


def test_the_new_sale_form_shares_the_amount_rules(client, login_as, post, seller, tenant):
    login_as(seller)
    response = post("/dashboard/sales/new", client_description="Fair", **sale_form(amount="12.345"))
    assert response.status_code == 422
    assert "Use at most 2 decimal places." in response.get_data(as_text=True)
    assert sales_of(tenant.id) == []


# --- who may ---------------------------------------------------------------------------------------------------

PAGES = ["/dashboard/sales", "/dashboard/sales.csv", "/dashboard/sales/new"]


@pytest.mark.parametrize(
    ("linked", "verified", "says"), [(False, False, "not linked"), (True, False, "not verified")]
)
def test_a_provider_without_a_verified_breeder_sees_what_is_missing_and_cannot_post(
    client, login_as, post, seller, tenant, linked, verified, says
):
    sale = make_sale(tenant)
    seller.tenant_id = tenant.id if linked else None
    seller.tenant_verified = verified
    db.session.commit()
    login_as(seller)
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200 and says in response.get_data(as_text=True), path
        assert "flask marketplace link-tenant" in response.get_data(as_text=True)
    for path, form in [
        ("/dashboard/sales/new", {"client_description": "x", **sale_form()}),
        (f"/dashboard/sales/{sale.id}/status", {"to": "completed"}),
        (f"/dashboard/sales/{sale.id}/invoice", {}),
    ]:
        assert post(path, **form).status_code == 403, path
    assert [s.status for s in sales_of(tenant.id)] == ["pending"]
    assert audit_events() == []


def test_a_buyer_is_refused_and_a_visitor_is_sent_to_sign_in(client, login_as, buyer):
    for path in PAGES:
        assert client.get(path).status_code == 302
    login_as(buyer)
    for path in PAGES:
        assert client.get(path).status_code == 403


def test_tenant_isolation_a_seller_of_another_breeder_sees_and_touches_nothing(
    client, login_as, post, seller, other_seller, tenant, other_tenant
):
    theirs = make_sale(tenant, service_description="Sunny Acres sale")
    login_as(seller)
    post(f"/dashboard/sales/{theirs.id}/invoice")
    login_as(other_seller)
    for path in (
        "/dashboard/sales",
        "/dashboard/sales.csv",
        f"/dashboard/sales?after=2099-01-01,{theirs.id + 1}",
    ):
        page = client.get(path).get_data(as_text=True)
        assert "Sunny Acres sale" not in page and "SA-M001" not in page
    for to in ("completed", "cancelled"):
        assert post(f"/dashboard/sales/{theirs.id}/status", to=to).status_code == 404
    assert post(f"/dashboard/sales/{theirs.id}/invoice").status_code == 404
    assert [s.status for s in sales_of(tenant.id)] == ["pending"]
    assert [event.action for event in audit_events()] == ["invoice.created"]  # the owner's, nothing else
    assert sales_of(other_tenant.id) == []


def test_a_second_seller_of_the_same_breeder_manages_its_sales(client, login_as, post, seller, tenant):
    colleague = verified_seller(tenant)
    sale = make_sale(tenant)
    login_as(colleague)
    assert post(f"/dashboard/sales/{sale.id}/status", to="completed").status_code == 303
    assert sales_of(tenant.id)[0].status == "completed"


def test_parties_are_read_in_the_sellers_breeder_only(client, login_as, seller, tenant, other_tenant):
    foreign = PartyFactory(tenant=other_tenant, name="Foreign")
    login_as(seller)
    client.get("/dashboard/sales/new")
    assert db.session.get(Party, foreign.id) is not None  # it exists; the page just never offered it
