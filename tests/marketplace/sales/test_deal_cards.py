"""Deal cards in a conversation: both people see them, the buyer's poll brings new ones and updates the old ones,
and a page with many cards reads them in one query."""

from __future__ import annotations

import re

from tests.marketplace.messaging.conftest import thread_messages
from tests.marketplace.sales.conftest import sale_form, sales_of
from tests.query_count import count_queries


def _poll(client, thread_id: int, after: int):
    return client.get(f"/messages/{thread_id}/updates?after={after}&seen=0", headers={"HX-Request": "true"})


def test_the_buyers_poll_brings_the_new_card_and_later_updates_every_card_of_the_sale(
    client, login_as, post, conversation, seller, buyer, tenant
):
    login_as(buyer)
    client.get(f"/messages/{conversation.id}")  # reads what is there
    cursor = thread_messages(conversation.id)[-1].id
    assert _poll(client, conversation.id, cursor).status_code == 204

    login_as(seller)
    post(f"/messages/{conversation.id}/sale", **sale_form(amount="250"))
    [sale] = sales_of(tenant.id)

    login_as(buyer)
    response = _poll(client, conversation.id, cursor)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Recorded a sale: $250.00 — Stud service" in html
    assert f'class="deal-card deal-{sale.id}"' in html
    assert f'hx-swap-oob="outerHTML:.deal-{sale.id}"' in html
    cursor = thread_messages(conversation.id)[-1].id

    login_as(seller)
    post(f"/dashboard/sales/{sale.id}/invoice")
    post(f"/dashboard/sales/{sale.id}/status", to="completed")

    login_as(buyer)
    html = _poll(client, conversation.id, cursor).get_data(as_text=True)
    assert "Invoice SA-M001 issued" in html and "Sale marked completed" in html
    # One out-of-band card for the sale (not one per new message), already in its latest state.
    oob = re.findall(
        rf'<div class="deal-card deal-{sale.id}" hx-swap-oob="outerHTML:\.deal-{sale.id}">(.*?)</div>',
        html,
        re.S,
    )
    assert len(oob) == 1
    assert "Sale completed" in oob[0] and "SA-M001" in oob[0]
    # The buyer's card links to their invoice under "My invoices" (never into the seller's dashboard), and it opens.
    [invoice_id] = re.findall(r'href="/account/invoices/(\d+)">SA-M001<', oob[0])
    assert "/dashboard/sales" not in html
    assert "SA-M001" in client.get(f"/account/invoices/{invoice_id}").get_data(as_text=True)


def test_the_seller_card_links_to_the_sales_list(client, login_as, post, conversation, seller, tenant):
    login_as(seller)
    post(f"/messages/{conversation.id}/sale", **sale_form())
    [sale] = sales_of(tenant.id)
    page = client.get(f"/messages/{conversation.id}").get_data(as_text=True)
    assert f'href="/dashboard/sales#sale-{sale.id}"' in page


def test_a_thread_page_reads_every_card_in_one_query(client, login_as, post, conversation, seller, buyer):
    login_as(seller)
    post(f"/messages/{conversation.id}/sale", **sale_form())
    login_as(buyer)
    client.get(f"/messages/{conversation.id}")
    with count_queries() as one_sale:
        client.get(f"/messages/{conversation.id}")
    login_as(seller)
    for amount in ("10", "20", "30", "40"):
        post(f"/messages/{conversation.id}/sale", **sale_form(amount=amount))
    login_as(buyer)
    client.get(f"/messages/{conversation.id}")
    with count_queries() as five_sales:
        page = client.get(f"/messages/{conversation.id}").get_data(as_text=True)
    assert page.count('class="deal-card deal-') == 5
    assert len(five_sales) == len(one_sale)
    assert sum('"MarketplaceTransaction"' in statement for statement in five_sales) == 1


def test_a_thread_without_sales_runs_no_card_query(client, login_as, conversation, buyer):
    login_as(buyer)
    with count_queries() as statements:
        client.get(f"/messages/{conversation.id}")
    assert not any('"MarketplaceTransaction"' in statement for statement in statements)
