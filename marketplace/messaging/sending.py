"""Sending: start a conversation, post a message, throttle senders, and e-mail the recipient (rate-limited).

Concurrency: a send locks the thread row first (SELECT ... FOR UPDATE), so two people posting at once queue
on that row; neither message is lost, created_at (clock_timestamp, taken under the lock) and the id grow in
the same order, and last_message_at only moves forward (GREATEST in the same UPDATE).

Idempotency: a send from a form carries the form's key (app.forms.IdempotencyKeyField). Under the thread's lock a
send first looks for its sender's message with that key: a form posted again (a retry after an answer that never
arrived, a double click, many at once) finds the message the first post stored and stores nothing more. The
unique index on (thread_id, sender_user_id, idempotency_key) holds the same rule for any other writer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask import abort, current_app
from limits import RateLimitItem, parse
from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from app.extensions import db, limiter
from app.links import external_url
from app.local_time import format_local_time
from app.mail import send_template
from app.throttling import Allowance, allowance, claim, refund
from marketplace.limits import (
    FEW_CONVERSATIONS_LEFT,
    MESSAGE_RATE_LIMIT,
    NEW_ACCOUNT_AGE,
    NEW_ACCOUNT_NEW_THREAD_RATE_LIMIT,
    NEW_THREAD_RATE_LIMIT,
)
from marketplace.messaging.queries import lock_thread_for_participant_or_404
from marketplace.messaging.text import snippet
from models import MarketplaceUser, Message, MessageNotification, MessageThread, ServiceListing, ThreadStatus
from models.types import utcnow

log = logging.getLogger(__name__)

NOTIFICATION_INTERVAL = timedelta(minutes=15)
# pg_advisory_xact_lock(bigint): the high 32 bits name this use, the low 32 bits the buyer (as payments/queries.py).
NEW_THREAD_LOCK_CLASS = 0x4E45_5754  # "NEWT"

THREADS_STARTED = "threads-started"
MESSAGES_SENT = "messages-sent"
TOO_FAST = "You are sending messages too quickly: you can send {limit} messages {per_window}. You can send again {when}."
TOO_MANY_THREADS = (
    "You have started as many new conversations as {who} can: {limit} {per_window}. You can start another {when}. "
    "You can still reply in your existing conversations."
)
BLOCKED = "This conversation is blocked. No one can send messages in it."
ACCOUNT_CANNOT_SEND = "Your account cannot send messages. Please contact support."


Attach = Callable[[int, int], None]


class SendRefused(Exception):
    """The message must not be stored. `status` is the HTTP answer (403, 409 or 429)."""

    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class PendingNotification:
    """An e-mail to send once the message is committed."""

    thread_id: int
    recipient_email: str
    sender_name: str
    subject: str
    text: str


def _now_in_db():
    # The database clock, taken when the statement runs (not when the transaction began).
    return func.timezone("UTC", func.clock_timestamp())


def _rate(name: str, default: str) -> RateLimitItem:
    return parse(current_app.config.get(name, default))


def _refusal(template: str, rate: RateLimitItem, namespace: str, key: str, **words: str) -> SendRefused:
    """The limit, and when the reader can go on, on their own clock."""
    left = allowance(rate, namespace, key)
    when = f"from {format_local_time(left.resets_at)}" if left else "later"
    per_window = left.per_window if left else ""
    return SendRefused(template.format(limit=rate.amount, per_window=per_window, when=when, **words), 429)


def _throttle_messages(user_id: int) -> None:
    rate = _rate("MESSAGE_RATE_LIMIT", MESSAGE_RATE_LIMIT)
    if limiter.enabled and not limiter.limiter.hit(rate, MESSAGES_SENT, str(user_id)):
        raise _refusal(TOO_FAST, rate, MESSAGES_SENT, str(user_id))


def _is_new_account(user: MarketplaceUser) -> bool:
    created = user.created_at or utcnow()
    return utcnow() - created < current_app.config.get("NEW_ACCOUNT_AGE", NEW_ACCOUNT_AGE)


def _new_thread_rate(user: MarketplaceUser) -> RateLimitItem:
    if _is_new_account(user):
        return _rate("NEW_ACCOUNT_NEW_THREAD_RATE_LIMIT", NEW_ACCOUNT_NEW_THREAD_RATE_LIMIT)
    return _rate("NEW_THREAD_RATE_LIMIT", NEW_THREAD_RATE_LIMIT)


@dataclass(frozen=True)
class ConversationAllowance:
    left: Allowance
    new_account: bool


def new_conversation_notice(listing_id: int, user: MarketplaceUser) -> ConversationAllowance | None:
    """What to say beside "Message the seller" when few new conversations are left (or none): None while plenty
    are, or when this listing's conversation already exists (writing there starts nothing new). Reads the
    limiter only, and the database only when few are left."""
    left = allowance(_new_thread_rate(user), THREADS_STARTED, str(user.id))
    if left is None or left.remaining > FEW_CONVERSATIONS_LEFT or existing_thread_id(listing_id, user.id):
        return None
    return ConversationAllowance(left, _is_new_account(user))


def _check_account_may_send(user: MarketplaceUser) -> None:
    if not user.in_good_standing:
        raise SendRefused(ACCOUNT_CANNOT_SEND, 403)


def post_message(
    thread_id: int,
    sender: MarketplaceUser,
    text: str,
    *,
    attach: Attach | None = None,
    idempotency_key: str | None = None,
) -> PendingNotification | None:
    """Store `text` in the thread (404 unless the sender takes part in it) and make the thread active.
    `attach(thread_id, message_id)` adds the message's attachments, once the thread is known not to be blocked.
    A message of this sender with this `idempotency_key` already in the thread means it was sent: nothing more
    is stored (nor attached, nor counted against the sender's rate).

    Returns the e-mail to send after commit, if the recipient is due one."""
    return _post(thread_id, sender, text, throttle=True, attach=attach, idempotency_key=idempotency_key)


def post_sale_message(
    thread_id: int, sender: MarketplaceUser, text: str, sale_id: int, *, notify: bool = True
) -> PendingNotification | None:
    """As post_message, for a message the app writes on the sender's behalf about a sale (its deal card): not
    counted against the sender's message rate, so recording or invoicing a sale is never refused as too fast.
    notify=False claims no e-mail (the caller sends its own)."""
    return _post(thread_id, sender, text, throttle=False, sale_id=sale_id, notify=notify)


def _post(
    thread_id: int,
    sender: MarketplaceUser,
    text: str,
    *,
    throttle: bool,
    sale_id: int | None = None,
    notify: bool = True,
    attach: Attach | None = None,
    idempotency_key: str | None = None,
) -> PendingNotification | None:
    _check_account_may_send(sender)
    thread = lock_thread_for_participant_or_404(thread_id, sender.id)
    # Before the blocked check: a retry of a message stored before the thread was blocked was still sent.
    if idempotency_key is not None and _already_sent(thread.id, sender.id, idempotency_key):
        return None
    if thread.status == ThreadStatus.BLOCKED:
        raise SendRefused(BLOCKED, 409)
    if throttle:
        _throttle_messages(sender.id)
    message_id, created_at = db.session.execute(
        insert(Message)
        .values(
            thread_id=thread.id,
            sender_user_id=sender.id,
            message_text=text,
            created_at=_now_in_db(),
            marketplace_transaction_id=sale_id,
            idempotency_key=idempotency_key,
        )
        .returning(Message.id, Message.created_at)
    ).one()
    if attach is not None:
        attach(thread.id, message_id)
    db.session.execute(
        update(MessageThread)
        .where(MessageThread.id == thread.id)
        .values(
            last_message_at=func.greatest(MessageThread.last_message_at, created_at),
            status=ThreadStatus.ACTIVE,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.expire(thread)
    recipient_id = thread.other_party_id(sender.id)
    if not notify or not _claim_notification(thread.id, recipient_id):
        return None
    recipient = db.session.get(MarketplaceUser, recipient_id)
    if recipient is None or not recipient.in_good_standing:
        return None
    return PendingNotification(
        thread_id=thread.id,
        recipient_email=recipient.email,
        sender_name=sender.display_name,
        subject=thread.subject or "your conversation",
        text=text,
    )


def _already_sent(thread_id: int, sender_id: int, idempotency_key: str) -> bool:
    """Read under the thread's row lock, so it sees a message committed by a post of the same form that held
    the lock before this one (READ COMMITTED takes a new snapshot per statement)."""
    return (
        db.session.scalar(
            select(Message.id).where(
                Message.thread_id == thread_id,
                Message.sender_user_id == sender_id,
                Message.idempotency_key == idempotency_key,
            )
        )
        is not None
    )


def notification_interval() -> timedelta:
    """How long a recipient waits between e-mails about one unread thread (MESSAGE_NOTIFICATION_INTERVAL)."""
    return current_app.config.get("MESSAGE_NOTIFICATION_INTERVAL", NOTIFICATION_INTERVAL)


def _claim_notification(thread_id: int, recipient_id: int) -> bool:
    """True if this recipient may be e-mailed about this thread now (and records that they were).

    One row per (thread, recipient); the conditional upsert makes two simultaneous sends claim it once."""
    statement = pg_insert(MessageNotification).values(
        thread_id=thread_id, recipient_user_id=recipient_id, last_sent_at=_now_in_db()
    )
    interval = notification_interval()
    statement = statement.on_conflict_do_update(
        index_elements=[MessageNotification.thread_id, MessageNotification.recipient_user_id],
        set_={"last_sent_at": statement.excluded.last_sent_at},
        where=MessageNotification.last_sent_at <= statement.excluded.last_sent_at - literal(interval),
    ).returning(MessageNotification.thread_id)
    return db.session.execute(statement).first() is not None


def deliver(notification: PendingNotification | None) -> None:
    """Send the e-mail after commit. A mail failure must not undo or fail the message already stored."""
    if notification is None:
        return
    try:
        send_template(
            notification.recipient_email,
            "marketplace_new_message",
            notification=notification,
            excerpt=snippet(notification.text, 500),
            link=external_url("marketplace.thread", thread_id=notification.thread_id),
            interval=notification_interval(),
        )
    except Exception:
        log.exception("could not send the new-message e-mail for thread %s", notification.thread_id)


def existing_thread_id(listing_id: int, buyer_id: int) -> int | None:
    return db.session.scalar(
        select(MessageThread.id).where(
            MessageThread.listing_id == listing_id, MessageThread.buyer_user_id == buyer_id
        )
    )


def start_conversation(
    listing: ServiceListing,
    buyer: MarketplaceUser,
    subject: str,
    text: str,
    *,
    idempotency_key: str | None = None,
) -> tuple[int, PendingNotification | None]:
    """The buyer's thread on this listing with `text` appended: created, or the existing one reopened. A retried
    form (same `idempotency_key`) finds the thread its first post created, and its message there."""
    _check_account_may_send(buyer)
    # A buyer's first messages queue here, so a form posted again while its first post is still running finds
    # the thread that post made (and its message) instead of claiming, and perhaps being refused, a new one.
    db.session.execute(select(func.pg_advisory_xact_lock((NEW_THREAD_LOCK_CLASS << 32) | buyer.id)))
    thread_id = existing_thread_id(listing.id, buyer.id)
    new_thread_rate = _new_thread_rate(buyer)
    key = str(buyer.id)
    # Claimed before the insert (one atomic increment), so parallel first messages cannot all pass a check
    # that none of them has counted yet; refunded when no new thread comes of it.
    claimed = thread_id is None
    if claimed and not claim(new_thread_rate, THREADS_STARTED, key):
        who = "a new account" if _is_new_account(buyer) else "an account"
        raise _refusal(TOO_MANY_THREADS, new_thread_rate, THREADS_STARTED, key, who=who)
    try:
        if thread_id is None:
            thread_id = db.session.execute(
                pg_insert(MessageThread)
                .values(
                    listing_id=listing.id,
                    buyer_user_id=buyer.id,
                    seller_user_id=listing.provider_user_id,
                    subject=subject,
                    status=ThreadStatus.ACTIVE,
                    created_at=_now_in_db(),
                )
                .on_conflict_do_nothing(
                    index_elements=[MessageThread.listing_id, MessageThread.buyer_user_id],
                    index_where=MessageThread.listing_id.is_not(None),
                )
                .returning(MessageThread.id)
            ).scalar_one_or_none()
            if thread_id is None:  # another request of this buyer created it a moment ago
                refund(new_thread_rate, THREADS_STARTED, key)
                claimed = False
                thread_id = existing_thread_id(listing.id, buyer.id)
        if thread_id is None:
            abort(404)
        notification = post_message(thread_id, buyer, text, idempotency_key=idempotency_key)
    except BaseException:
        if claimed:
            refund(new_thread_rate, THREADS_STARTED, key)
        raise
    return thread_id, notification
