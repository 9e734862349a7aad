"""Sales: record one in a conversation or on the dashboard, the sales list and its CSV, status moves, invoices.

Every dashboard view runs for a provider linked to a verified breeder, with that breeder bound
(marketplace.access.seller_with_tenant_required); a sale of another breeder is a 404.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from werkzeug.wrappers import Response as BaseResponse

from app.embedded_stripe import EmbeddedStripeError
from app.errors import render_error
from app.extensions import db
from app.forms import render_form
from app.money import format_money
from app.templating import render_page_or_block
from marketplace import bp
from marketplace.access import (
    marketplace_login_required,
    records_sales_in,
    seller_missing,
    seller_not_ready,
    seller_with_tenant_required,
    signed_in_marketplace_user,
)
from marketplace.messaging.queries import thread_for_participant_or_404
from marketplace.messaging.sending import BLOCKED, SendRefused, deliver
from marketplace.sales.forms import PAYMENT_METHODS, NewSaleForm, RefundForm, SaleForm, parse_sales_filter
from marketplace.sales.invoicing import SaleRefused, create_invoice, move_sale, record_sale, send_invoice_mail
from marketplace.sales.queries import (
    SaleRow,
    sales_for_export,
    sales_page,
    sales_totals,
    tenant_party_choices,
)
from marketplace.sales.refunding import refund_sale
from models import (
    SALE_TRANSITIONS,
    MarketplaceUser,
    MessageThread,
    ThreadStatus,
    TransactionStatus,
    tenant_scope,
)
from models.scoping import each_step_in_tenant
from payments.refunds import Refunded, RefundRefused
from payments.service import PaymentUnavailable

THREAD_SALE_TEMPLATE = "marketplace/sales/record_in_thread.html"
NEW_SALE_TEMPLATE = "marketplace/sales/new_sale.html"
ONLY_THE_SELLER = "Only the seller records a sale in a conversation. When the seller records one, it appears here as a card."


def _tenant_id(user: MarketplaceUser) -> int:
    assert user.tenant_id is not None  # seller_with_tenant_required saw to it
    return user.tenant_id


# --- recording -------------------------------------------------------------------------------------------------


def _not_ready_or_blocked(me: MarketplaceUser, conversation: MessageThread) -> tuple[Any, ...] | None:
    """What keeps the conversation's seller from recording a sale in it now, as the answer; None if nothing."""
    missing = seller_missing(me)
    if missing is not None:
        return seller_not_ready(missing)
    if conversation.status == ThreadStatus.BLOCKED:
        return render_error(409, BLOCKED)
    return None


def _blank_sale_form(me: MarketplaceUser, conversation: MessageThread) -> str | tuple[Any, ...]:
    if not records_sales_in(conversation.seller_user_id, me):
        abort(404)
    refusal = _not_ready_or_blocked(me, conversation)
    if refusal is not None:
        return refusal
    form = SaleForm(formdata=None)
    form.fill_defaults(conversation.listing.title if conversation.listing else None)
    return render_page_or_block(THREAD_SALE_TEMPLATE, "sale_form", form=form, thread=conversation)


# One rule for both methods: werkzeug answers a second rule's method 405 where an id too big for the database
# (app.security.DatabaseIdConverter) should be a 404.
@bp.route("/messages/<int:thread_id>/sale", methods=["GET", "POST"])
@marketplace_login_required
def record_sale_in_thread(thread_id: int) -> BaseResponse | str | tuple[Any, ...]:
    """POST records the sale. GET is the blank form, which the conversation page fetches (htmx: the form alone)
    when its seller opens "Record a sale", rather than build it on every view; without JS, a page of its own.
    Anyone but the seller who may record a sale there gets a 404 for it."""
    me = signed_in_marketplace_user()
    conversation = thread_for_participant_or_404(thread_id, me.id)
    if request.method == "GET":
        return _blank_sale_form(me, conversation)
    if me.id != conversation.seller_user_id:
        return render_error(403, ONLY_THE_SELLER)
    if not me.is_provider:
        return render_error(403)
    refusal = _not_ready_or_blocked(me, conversation)
    if refusal is not None:
        return refusal
    with tenant_scope(_tenant_id(me)):
        form = SaleForm()
        if not form.validate_on_submit():
            return render_form(THREAD_SALE_TEMPLATE, form, thread=conversation)
        try:
            _, notification = record_sale(me, form.details(), thread=conversation)
        except SendRefused as refused:  # blocked a moment ago
            db.session.rollback()
            return render_error(refused.status, refused.reason)
        db.session.commit()
    deliver(notification)
    flash("Sale recorded. The buyer sees it in this conversation.", "success")
    return redirect(url_for("marketplace.thread", thread_id=conversation.id, _anchor="latest"), 303)


@bp.route("/dashboard/sales/new", methods=["GET", "POST"])
@seller_with_tenant_required
def new_sale() -> BaseResponse | tuple[str, int]:
    me = signed_in_marketplace_user()
    form = NewSaleForm()
    form.offer_parties(tenant_party_choices())
    if not form.is_submitted():
        form.fill_defaults(None)
    if form.validate_on_submit():
        record_sale(
            me,
            form.details(),
            party=form.party,
            client_description=None if form.party else form.client_description.data,
        )
        db.session.commit()
        flash("Sale recorded.", "success")
        return redirect(url_for("marketplace.sales"), 303)
    return render_form(NEW_SALE_TEMPLATE, form)


# --- the list and its CSV --------------------------------------------------------------------------------------


@bp.get("/dashboard/sales")
@seller_with_tenant_required
def sales() -> str:
    tenant_id = _tenant_id(signed_in_marketplace_user())
    filters = parse_sales_filter(request.args)
    return render_template(
        "marketplace/sales/sales.html",
        filters=filters,
        page=sales_page(tenant_id, filters),
        totals=sales_totals(tenant_id, filters),
        statuses=list(TransactionStatus),
        transitions=SALE_TRANSITIONS,
        payment_methods=PAYMENT_METHODS,
        new_refund_key=lambda: secrets.token_urlsafe(24),
    )


CSV_HEADER = (
    "Date",
    "Sale",
    "Status",
    "Description",
    "Client",
    "Listing",
    "Amount",
    "Platform fee",
    "Net payout",
    "Currency",
    "Payment method",
    "Invoice",
    "Notes",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """Text as a spreadsheet shows it, never as a formula: a cell starting with = + - @ (or a tab or carriage
    return, which some spreadsheets skip) gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _dollars(cents: int) -> str:
    return f"{Decimal(cents).scaleb(-2):.2f}"


def _csv_record(row: SaleRow) -> list[str]:
    return [
        row.transaction_date.isoformat(),
        str(row.id),
        row.status,
        csv_cell(row.description),
        csv_cell(row.client),
        csv_cell(row.listing_title),
        _dollars(row.amount_cents),
        _dollars(row.fee_cents),
        _dollars(row.net_cents),
        row.currency,
        PAYMENT_METHODS.get(row.payment_method or "", csv_cell(row.payment_method)),
        csv_cell(row.invoice_number),
        csv_cell(row.notes),
    ]


@bp.get("/dashboard/sales.csv")
@seller_with_tenant_required
def sales_csv() -> Response:
    tenant_id = _tenant_id(signed_in_marketplace_user())
    filters = parse_sales_filter(request.args)

    def lines() -> Iterator[str]:
        # The rows are read while the response streams, after the view returned: bind the tenant again, for each
        # batch's reading only (never across a yield).
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_HEADER)
        rows = each_step_in_tenant(tenant_id, sales_for_export(tenant_id, filters))
        for number, row in enumerate(rows, start=1):
            writer.writerow(_csv_record(row))
            if number % 100 == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    name = "sales" + "".join(f"-{value}" for value in filters.args().values()) + ".csv"
    return Response(
        stream_with_context(lines()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


# --- status moves and invoices ---------------------------------------------------------------------------------


def _back_to_list(sale_id: int) -> BaseResponse:
    return redirect(url_for("marketplace.sales", _anchor=f"sale-{sale_id}"), 303)


@bp.post("/dashboard/sales/<int:sale_id>/status")
@seller_with_tenant_required
def sale_status(sale_id: int) -> BaseResponse | tuple[str, int]:
    me = signed_in_marketplace_user()
    to_status = (request.form.get("to") or "").strip()[:30]
    try:
        _, notification = move_sale(sale_id, _tenant_id(me), to_status, me)
    except SaleRefused as refused:
        db.session.rollback()
        return render_error(refused.status, refused.reason)
    db.session.commit()
    deliver(notification)
    flash(f"Sale marked {to_status}.", "success")
    return _back_to_list(sale_id)


@bp.post("/dashboard/sales/<int:sale_id>/invoice")
@seller_with_tenant_required
def invoice_sale(sale_id: int) -> BaseResponse | tuple[str, int]:
    me = signed_in_marketplace_user()
    try:
        invoice, mail = create_invoice(sale_id, _tenant_id(me), me)
    except SaleRefused as refused:
        db.session.rollback()
        return render_error(refused.status, refused.reason)
    number = invoice.number
    db.session.commit()
    send_invoice_mail(mail)
    flash(f"Invoice {number} created.", "success")
    return _back_to_list(sale_id)


REFUND_UNAVAILABLE = (
    "We could not reach the card payment service, so nothing was refunded. Please try again in a few minutes."
)


def _refund_flash(done: Refunded) -> str:
    currency = done.invoice.currency
    given = format_money(done.amount_cents, currency)
    if done.replayed:
        return f"This refund was already made: {given} back to the buyer's card."
    said = f"Refunded {given} to the buyer's card."
    if done.short_cents:
        said += (
            f" The card payment service stopped answering before the remaining "
            f"{format_money(done.short_cents, currency)}: try again for it."
        )
    return said


@bp.post("/dashboard/sales/<int:sale_id>/refund")
@seller_with_tenant_required
def refund_sale_by_card(sale_id: int) -> BaseResponse | tuple[str, int]:
    me = signed_in_marketplace_user()
    form = RefundForm()
    if not form.validate_on_submit():
        return render_error(422, form.first_error())
    try:
        done = refund_sale(sale_id, _tenant_id(me), form.amount_cents or 0, form.refund_key.data, me)
    except SaleRefused as refused:
        db.session.rollback()
        return render_error(refused.status, refused.reason)
    except RefundRefused as refused:
        db.session.commit()  # nothing was refunded; keep any refund caught up from Stripe's side
        return render_error(refused.status, refused.message)
    except (PaymentUnavailable, EmbeddedStripeError):
        db.session.rollback()
        return render_error(503, REFUND_UNAVAILABLE)
    message = _refund_flash(done)
    db.session.commit()
    flash(message, "success")
    return _back_to_list(sale_id)
