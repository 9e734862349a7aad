"""The demo's sales: a pending, a completed and an invoiced one in the demo conversation, the invoice visible to the
demo buyer; the older SA-M001 sale keeps the sale checks; seeding twice changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from demo import seed_demo
from models import AuditEvent, Invoice, MarketplaceTransaction, MarketplaceUser, Message, Tenant


def _user(email: str) -> MarketplaceUser:
    return db.session.scalar(select(MarketplaceUser).where(MarketplaceUser.email == email))


def test_demo_sales_show_in_the_conversation_the_sales_list_and_my_invoices(client, login_as):
    seed_demo()
    seed_demo()  # idempotent
    db.session.commit()
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "sunny-acres"))
    sales = {
        sale.service_description: sale
        for sale in db.session.scalars(
            select(MarketplaceTransaction).where(MarketplaceTransaction.provider_tenant_id == tenant.id)
        )
    }
    assert {description: sale.status for description, sale in sales.items()} == {
        "Stud service: champion Golden Retriever": "completed",  # SA-M001's
        "Stud service: booking deposit": "pending",
        "Progesterone timing test": "completed",
        "Semen shipping kit": "pending",
    }
    for sale in sales.values():  # the sale checks of revision 0011 hold for every demo sale
        assert sale.amount_cents > 0 and 0 <= sale.platform_fee_cents <= sale.amount_cents
        assert sale.net_payout_cents == sale.amount_cents - sale.platform_fee_cents
    invoiced = sales["Semen shipping kit"]
    invoice = db.session.scalar(select(Invoice).where(Invoice.marketplace_transaction_id == invoiced.id))
    assert (invoice.number, invoice.status, invoice.balance_cents) == ("SA-M002", "issued", 17_500)
    assert (
        db.session.scalar(
            select(func.count()).select_from(Message).where(Message.marketplace_transaction_id.is_not(None))
        )
        == 5
    )
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.tenant_id == tenant.id, AuditEvent.subject_table != "Review"
            )  # the demo review's
        )
        == 5
    )

    login_as(_user("buyer@example.com"))
    assert "SA-M002" in client.get("/account/invoices").get_data(as_text=True)
    thread_id = db.session.scalar(
        select(Message.thread_id).where(Message.marketplace_transaction_id == invoiced.id)
    )
    page = client.get(f"/messages/{thread_id}").get_data(as_text=True)
    assert page.count('class="deal-card deal-') == 5 and "Sale marked completed" in page

    login_as(_user("seller@example.com"))
    page = client.get("/dashboard/sales").get_data(as_text=True)
    assert all(f'id="sale-{sale.id}"' in page for sale in sales.values())
    assert "SA-M001" in page and "SA-M002" in page
