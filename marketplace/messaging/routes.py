"""Buyer–seller messaging: start a conversation on a listing, the inbox, a thread, replies, live updates,
archive and block.

Reading a thread stamps read_at on the other person's messages: opening it *is* reading it. That GET writes
only the reader's own receipts, is idempotent, and needs no CSRF protection to be harmless.
"""

from __future__ import annotations

import logging
from functools import partial
from io import BytesIO
from typing import Any

from flask import Response, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from sqlalchemy.exc import SQLAlchemyError

from app.auth import background_request
from app.errors import render_error
from app.extensions import db, htmx
from app.forms import new_form_key, render_form
from app.local_time import viewer_zone
from app.storage import staged_writes, storage
from app.templating import render_page_or_block
from app.uploads import MAX_FILE_BYTES, MB, UploadRefused, accepts_uploads
from marketplace import bp
from marketplace.access import (
    marketplace_login_required,
    records_sales_in,
    seller_missing,
    signed_in_marketplace_user,
    signed_in_marketplace_user_or_none,
)
from marketplace.listings.queries import public_listing_or_404
from marketplace.messaging.attachments import KIND_LABEL, prepare_attachments, save_attachments
from marketplace.messaging.forms import MESSAGE_MAX_CHARS, NewConversationForm, ReplyForm
from marketplace.messaging.queries import (
    INBOX_TABS,
    InboxTab,
    ThreadView,
    attachment_for_participant_or_404,
    attachments_for,
    inbox_page,
    inbox_signature,
    lock_thread_for_participant_or_404,
    mark_read,
    messages_after,
    messages_page,
    poll_state,
    seen_message_id,
    thread_view_or_404,
    valid_id,
)
from marketplace.messaging.sending import (
    SendRefused,
    deliver,
    existing_thread_id,
    new_conversation_notice,
    post_message,
    start_conversation,
)
from marketplace.sales.queries import deal_cards
from models import MAX_ATTACHMENTS, MarketplaceUser, MessageAttachment, ThreadStatus

log = logging.getLogger(__name__)

THREAD_TEMPLATE = "marketplace/messaging/thread.html"
POLL_SECONDS = 3
# The inbox changes less often than an open conversation, and a poll that finds nothing is one statement.
# The app config's INBOX_POLL_SECONDS overrides it (the end-to-end tests poll every second).
INBOX_POLL_SECONDS = 10


# --- starting a conversation ---------------------------------------------------------------------------------


@bp.route("/listings/<int:listing_id>/message", methods=["GET", "POST"])
@marketplace_login_required
def message_seller(listing_id: int):
    me = signed_in_marketplace_user()
    listing = public_listing_or_404(listing_id)
    if listing.provider_user_id == me.id:
        return render_error(403, "This is your own listing. Buyers' questions about it arrive in your inbox.")
    if not me.email_verified:
        return render_error(403, "Please verify your e-mail address first: then you can message sellers.")
    existing = existing_thread_id(listing.id, me.id)
    if request.method == "GET" and existing is not None:
        return redirect(url_for("marketplace.thread", thread_id=existing))

    form = NewConversationForm()
    if request.method == "GET":
        form.subject.data = listing.title
    refused: SendRefused | None = None
    if form.validate_on_submit():
        try:
            thread_id, notification = start_conversation(
                listing,
                me,
                form.subject.data or listing.title,
                form.body.data,
                idempotency_key=form.idempotency_key.data,
            )
        except SendRefused as error:
            db.session.rollback()
            refused = error
        else:
            db.session.commit()
            deliver(notification)
            return redirect(url_for("marketplace.thread", thread_id=thread_id, _anchor="latest"))
    return render_form(
        "marketplace/messaging/compose.html",
        form,
        status=refused.status if refused else None,
        listing=listing,
        refused=refused,
        conversation_notice=new_conversation_notice(listing.id, me),
        max_chars=MESSAGE_MAX_CHARS,
    )


# --- inbox ---------------------------------------------------------------------------------------------------


@bp.get("/messages")
@marketplace_login_required
def inbox():
    tab, page = _inbox_view()
    me_id = signed_in_marketplace_user().id
    return render_page_or_block(
        "marketplace/messaging/inbox.html", "inbox_list", **_inbox_context(me_id, tab, page)
    )


@bp.get("/messages/inbox-updates")
@background_request
@marketplace_login_required
def inbox_updates():
    """Polled by the open inbox: 204 while nothing changed (one statement), else the list and the nav badge."""
    tab, page = _inbox_view()
    me_id = signed_in_marketplace_user().id
    if inbox_signature(me_id) == request.args.get("since", ""):
        return Response(status=204)
    return render_template("marketplace/messaging/_inbox_updates.html", **_inbox_context(me_id, tab, page))


def _inbox_view() -> tuple[InboxTab, int]:
    tab = request.args.get("tab", "all")
    if tab not in INBOX_TABS:
        tab = "all"
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), 10_000)
    return tab, page  # type: ignore[return-value]


def _inbox_context(me_id: int, tab: InboxTab, page: int) -> dict[str, Any]:
    return {
        "inbox": inbox_page(me_id, tab, page),
        "tabs": INBOX_TABS,
        "signature": inbox_signature(me_id),
        "poll_seconds": current_app.config.get("INBOX_POLL_SECONDS", INBOX_POLL_SECONDS),
    }


# --- one thread ----------------------------------------------------------------------------------------------


def _message_extras(messages) -> dict[str, Any]:
    """What the messages carry: deal cards (one query, none when no message carries a sale) and attachments
    (one query for the page, whatever the number of messages and files); and the viewer's time zone for their
    times, looked up once."""
    return {
        "deals": deal_cards(messages),
        "attachments": attachments_for(messages),
        "kind_label": KIND_LABEL,
        "zone": viewer_zone(),
    }


def _sale_context(thread: ThreadView, me: MarketplaceUser) -> dict[str, Any]:
    """For the conversation's seller: "Record a sale" (its form is fetched when opened: sales.routes
    .record_sale_in_thread), or what keeps them from recording sales."""
    if not records_sales_in(thread.seller_user_id, me) or thread.status == ThreadStatus.BLOCKED:
        return {"can_record_sale": False, "sale_missing": None}
    missing = seller_missing(me)
    return {"can_record_sale": missing is None, "sale_missing": missing}


def _reply_box(form: ReplyForm | None = None) -> dict[str, Any]:
    """What the reply box shows: a form that came back (its key, text and errors), or a fresh box (a new key,
    nothing typed), which needs no WTForms form built on every view of a conversation."""
    if form is None:
        values: dict[str, Any] = {"reply_key": new_form_key(), "reply_text": "", "reply_errors": []}
    else:
        values = {
            "reply_key": form.idempotency_key.data,
            "reply_text": form.body.data or "",
            "reply_errors": list(form.body.errors),
        }
    return {**values, "max_chars": MESSAGE_MAX_CHARS, "max_attachments": MAX_ATTACHMENTS}


def _thread_page_context(
    thread: ThreadView,
    me: MarketplaceUser,
    before: int | None = None,
    form: ReplyForm | None = None,
    **extra: Any,
) -> dict[str, Any]:
    messages, has_earlier = messages_page(thread.id, before)
    return {
        **_message_extras(messages),
        **_sale_context(thread, me),
        "thread": thread,
        "me_id": me.id,
        "names": thread.names(),
        "other_name": thread.other_name(me.id),
        "messages": messages,
        "earlier_cursor": messages[0].id if has_earlier and messages else None,
        "browsing_earlier": before is not None,
        "seen_id": seen_message_id(thread.id, me.id),
        "cursor_after": messages[-1].id if messages else 0,
        "can_post": thread.status != ThreadStatus.BLOCKED,
        "poll_seconds": POLL_SECONDS,
        **_reply_box(form),
        **extra,
    }


@bp.get("/messages/<int:thread_id>")
@marketplace_login_required
def thread(thread_id: int):
    me = signed_in_marketplace_user()
    conversation = thread_view_or_404(thread_id, me.id)
    # Nothing unread (most views): no UPDATE, so the request stays read-only and its connection keeps its
    # prepared statements (models.read_only_commit). A message arriving meanwhile is read on the next poll.
    if conversation.unread and mark_read(conversation.id, me.id):
        db.session.commit()
    before = request.args.get("before", type=int)
    if before is not None:
        before = valid_id(before) or 0
    context = _thread_page_context(conversation, me, before)
    if before is not None:  # "Load earlier": with htmx just the older messages, without JS a page of them
        return render_page_or_block(THREAD_TEMPLATE, "earlier", **context)
    return render_template(THREAD_TEMPLATE, **context)


def _cursor() -> tuple[int, int]:
    """The page's view of the thread: the last message it shows and the message carrying "Seen"."""
    source = request.form if request.method == "POST" else request.args
    after = source.get("after", type=int)
    seen = source.get("seen", type=int)
    return valid_id(after) or 0, valid_id(seen) or 0


def _updates_context(thread: ThreadView, me_id: int, after: int, old_seen: int) -> dict[str, Any]:
    """What the page is missing since its cursor; the other person's new messages count as read now."""
    new_messages = list(messages_after(thread.id, after))
    if any(m.sender_user_id != me_id and m.read_at is None for m in new_messages):
        mark_read(thread.id, me_id)
        db.session.commit()
    return {
        **_message_extras(new_messages),
        "thread": thread,
        "me_id": me_id,
        "names": thread.names(),
        "new_messages": new_messages,
        "old_seen_id": old_seen,
        "seen_id": seen_message_id(thread.id, me_id),
        "cursor_after": new_messages[-1].id if new_messages else after,
        "poll_seconds": POLL_SECONDS,
    }


@bp.get("/messages/<int:thread_id>/updates")
@background_request
@marketplace_login_required
def thread_updates(thread_id: int):
    """Polled by the thread page every few seconds: 204 when nothing changed (one indexed query)."""
    me = signed_in_marketplace_user()
    after, seen = _cursor()
    state = poll_state(thread_id, me.id, after)
    if state.status == ThreadStatus.BLOCKED:
        return Response(status=204, headers={"HX-Refresh": "true"})
    if not state.has_new and (state.seen_id or 0) == seen:
        return Response(status=204)
    return render_template(
        "marketplace/messaging/_updates.html",
        **_updates_context(thread_view_or_404(thread_id, me.id), me.id, after, seen),
    )


ATTACHMENTS_TOO_LARGE = f"That message is too large: attach at most {MAX_ATTACHMENTS} files, each at most {MAX_FILE_BYTES // MB} MB."


@bp.post("/messages/<int:thread_id>/reply")
@accepts_uploads(MAX_ATTACHMENTS, ATTACHMENTS_TOO_LARGE)
@marketplace_login_required
def reply(thread_id: int):
    """Files are checked before anything is stored; they are written only once the thread is locked and known
    not to be blocked, and deleted again if the message is not committed."""
    me = signed_in_marketplace_user()
    view = thread_view_or_404(thread_id, me.id)
    form = ReplyForm()
    if not form.validate_on_submit():
        return _reply_refused(view, me, form, None)
    try:
        prepared = prepare_attachments(form.attachments.data or [])
    except UploadRefused as refused:
        return _reply_refused(view, me, form, None, attachments_error=str(refused))
    me_id = me.id
    try:
        with staged_writes() as files:
            notification = post_message(
                thread_id,
                me,
                form.body.data,
                attach=partial(save_attachments, files, prepared) if prepared else None,
                idempotency_key=form.idempotency_key.data,
            )
            db.session.commit()
            files.keep()
    except SendRefused as refused:
        db.session.rollback()
        return _reply_refused(view, me, form, refused)
    # Committed: from here on nothing may answer an error, or the sender would send it again.
    deliver(notification)
    if not htmx:
        return redirect(url_for("marketplace.thread", thread_id=thread_id, _anchor="latest"))
    return _reply_sent(view, thread_id, me_id)


REPLY_SENT_WITHOUT_UPDATES = "Sent. The conversation shows it in a moment."


def _reply_sent(view: ThreadView, thread_id: int, me_id: int):
    """The htmx answer to a stored reply: a fresh form and the thread's updates. Reading those updates can
    fail (the database restarting just after the commit); the answer is then the fresh form with a note, and
    the page's poller brings the updates once the database answers."""
    fresh_form = {**_reply_box(), "autofocus": True}
    after, seen = _cursor()
    try:
        return render_template(
            "marketplace/messaging/_reply_result.html",
            **fresh_form,
            **_updates_context(view, me_id, after, seen),
        )
    except SQLAlchemyError:
        log.warning("reply %s stored, but its updates could not be read", thread_id, exc_info=True)
        return render_template(
            "marketplace/messaging/_reply_form.html",
            **fresh_form,
            thread_id=thread_id,
            sent_note=REPLY_SENT_WITHOUT_UPDATES,
        )


def _reply_refused(
    view: ThreadView,
    me: MarketplaceUser,
    form: ReplyForm,
    refused: SendRefused | None,
    attachments_error: str | None = None,
):
    status = refused.status if refused else 422
    if htmx:
        if refused is not None and refused.status == 409:  # blocked meanwhile: show the page as it is now
            return Response(status=204, headers={"HX-Refresh": "true"})
        return render_template(
            "marketplace/messaging/_reply_form.html",
            **_reply_box(form),
            thread=view,
            refused=refused,
            attachments_error=attachments_error,
        ), status
    if refused is not None:  # rolled back: the page as it is now (blocked meanwhile, say)
        view = thread_view_or_404(view.id, me.id)
    return render_template(
        THREAD_TEMPLATE,
        **_thread_page_context(view, me, form=form, refused=refused, attachments_error=attachments_error),
    ), status


# --- attachments ---------------------------------------------------------------------------------------------


def _participants_attachment_or_404(thread_id: int, attachment_id: int) -> MessageAttachment:
    """Signed out, not a participant, another thread's id: all the same 404 (never a sign-in redirect, which
    would tell that the file exists)."""
    me = signed_in_marketplace_user_or_none()
    if me is None:
        abort(404)
    return attachment_for_participant_or_404(thread_id, attachment_id, me.id)


def _file_response(path: str, mimetype: str, download_name: str, cache: str) -> Response:
    data = storage().get(path)
    if data is None:
        abort(404)
    response = send_file(BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=download_name)
    response.headers["Cache-Control"] = cache
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/messages/<int:thread_id>/attachments/<int:attachment_id>")
def message_attachment(thread_id: int, attachment_id: int) -> Response:
    """The file, for the thread's two participants only, always as a download (never shown in the page)."""
    attachment = _participants_attachment_or_404(thread_id, attachment_id)
    return _file_response(
        attachment.storage_path, attachment.content_type, attachment.file_name, "private, no-store"
    )


@bp.get("/messages/<int:thread_id>/attachments/<int:attachment_id>/thumbnail")
def message_attachment_thumbnail(thread_id: int, attachment_id: int) -> Response:
    """An image attachment's thumbnail for the thread page, under the same rule."""
    attachment = _participants_attachment_or_404(thread_id, attachment_id)
    if attachment.thumbnail_path is None:
        abort(404)
    stem = attachment.file_name.rsplit(".", 1)[0]
    return _file_response(
        attachment.thumbnail_path, "image/webp", f"{stem}-thumbnail.webp", "private, max-age=86400"
    )


# --- archive and block ---------------------------------------------------------------------------------------


@bp.post("/messages/<int:thread_id>/archive")
@marketplace_login_required
def archive_thread(thread_id: int):
    conversation = lock_thread_for_participant_or_404(thread_id, signed_in_marketplace_user().id)
    if conversation.status == ThreadStatus.BLOCKED:
        flash("This conversation is blocked; it stays in your inbox as it is.", "info")
        return redirect(url_for("marketplace.thread", thread_id=conversation.id))
    conversation.status = ThreadStatus.ARCHIVED
    db.session.commit()
    flash("Conversation archived. A new message in it brings it back to the inbox.", "info")
    return redirect(url_for("marketplace.inbox"))


@bp.post("/messages/<int:thread_id>/unarchive")
@marketplace_login_required
def unarchive_thread(thread_id: int):
    conversation = lock_thread_for_participant_or_404(thread_id, signed_in_marketplace_user().id)
    if conversation.status == ThreadStatus.ARCHIVED:
        conversation.status = ThreadStatus.ACTIVE
        db.session.commit()
        flash("Conversation moved back to the inbox.", "info")
    return redirect(url_for("marketplace.thread", thread_id=conversation.id))


@bp.post("/messages/<int:thread_id>/block")
@marketplace_login_required
def block_thread(thread_id: int):
    conversation = lock_thread_for_participant_or_404(thread_id, signed_in_marketplace_user().id)
    if conversation.status != ThreadStatus.BLOCKED:
        conversation.status = ThreadStatus.BLOCKED
        db.session.commit()
    flash("You blocked this conversation. No one can send messages in it any more.", "info")
    return redirect(url_for("marketplace.thread", thread_id=conversation.id))
