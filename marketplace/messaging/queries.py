"""Reading conversations: the ownership helper, the inbox page, a thread's messages, unread counts, receipts.

Every query filters by participant in SQL; another person's thread is never loaded, so it is a 404.
Messages of one thread are ordered by (created_at, id); sending takes the thread's row lock first, so both
grow together within a thread, and a message id works as a cursor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Literal, NamedTuple

from flask import abort, g, has_app_context
from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    RowMapping,
    Select,
    any_,
    bindparam,
    case,
    func,
    or_,
    select,
    true,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.orm import aliased, joinedload

from app.extensions import db
from models import MarketplaceUser, Message, MessageAttachment, MessageThread, ServiceListing, ThreadStatus
from models.scoping import prebuilt
from models.types import INT4_MAX, utcnow

InboxTab = Literal["all", "buying", "selling", "archived"]
INBOX_TABS: tuple[InboxTab, ...] = ("all", "buying", "selling", "archived")
INBOX_PAGE_SIZE = 25
THREAD_PAGE_SIZE = 30
SNIPPET_SOURCE_CHARS = 200


def valid_id(value: int | None) -> int | None:
    """A message id from the query string or a form (a cursor), if it can name a row. Ids in the URL's path
    are already bounded by app.security.DatabaseIdConverter."""
    return value if value is not None and 0 < value <= INT4_MAX else None


def participant_filter(user_id: int | ColumnElement[int]):
    return or_(MessageThread.buyer_user_id == user_id, MessageThread.seller_user_id == user_id)


# With its two users and its listing: the one caller (recording a sale) shows the listing's title and both names.
_PARTICIPANTS_THREAD = prebuilt(
    select(MessageThread)
    .where(
        MessageThread.id == bindparam("thread_id", type_=Integer),
        participant_filter(bindparam("user_id", type_=Integer)),
    )
    .options(
        joinedload(MessageThread.buyer_user),
        joinedload(MessageThread.seller_user),
        joinedload(MessageThread.listing),
    )
)


def thread_for_participant_or_404(thread_id: int, user_id: int) -> MessageThread:
    """The thread, if this user is its buyer or its seller; otherwise 404 (whether or not it exists)."""
    parameters = {"thread_id": thread_id, "user_id": user_id}
    thread = db.session.scalars(_PARTICIPANTS_THREAD, parameters).unique().one_or_none()
    if thread is None:
        abort(404)
    return thread


@dataclass(frozen=True)
class ThreadView:
    """A thread as its page shows it, read for one participant (`unread`: the other person's messages they have
    not read): plain values, not the ORM object with its users and listing, which took more Python to load than
    the rest of the statement."""

    id: int
    subject: str | None
    status: str | None
    listing_id: int | None
    buyer_user_id: int
    seller_user_id: int
    unread: int
    listing_title: str | None  # None once the listing is gone
    buyer_name: str
    seller_name: str

    def names(self) -> dict[int, str]:
        return {self.buyer_user_id: self.buyer_name, self.seller_user_id: self.seller_name}

    def other_name(self, user_id: int) -> str:
        return self.seller_name if user_id == self.buyer_user_id else self.buyer_name


_BUYER = aliased(MarketplaceUser, name="buyer")
_SELLER = aliased(MarketplaceUser, name="seller")
_VIEWER = bindparam("user_id", type_=Integer)
_THREAD_VIEW = prebuilt(
    select(
        MessageThread.id,
        MessageThread.subject,
        MessageThread.status,
        MessageThread.listing_id,
        MessageThread.buyer_user_id,
        MessageThread.seller_user_id,
        MessageThread.unread_count_for(_VIEWER),
        ServiceListing.title,
        _BUYER.display_name,
        _SELLER.display_name,
    )
    .join(_BUYER, _BUYER.id == MessageThread.buyer_user_id)
    .join(_SELLER, _SELLER.id == MessageThread.seller_user_id)
    .outerjoin(ServiceListing, ServiceListing.id == MessageThread.listing_id)
    .where(MessageThread.id == bindparam("thread_id", type_=Integer), participant_filter(_VIEWER))
)


def thread_view_or_404(thread_id: int, user_id: int) -> ThreadView:
    """As thread_for_participant_or_404, with what the thread page shows about it, in one statement."""
    row = db.session.execute(_THREAD_VIEW, {"thread_id": thread_id, "user_id": user_id}).one_or_none()
    if row is None:
        abort(404)
    return ThreadView(*row)


def lock_thread_for_participant_or_404(thread_id: int, user_id: int) -> MessageThread:
    """As thread_for_participant_or_404, holding the row lock until commit: sends to one thread queue here."""
    thread = db.session.scalars(
        select(MessageThread)
        .where(MessageThread.id == thread_id, participant_filter(user_id))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if thread is None:
        abort(404)
    return thread


# --- unread counts -------------------------------------------------------------------------------------------


def _unread_sum(user_id: int | ColumnElement[int]) -> ColumnElement[int]:
    """Messages sent to this user that they have not read, over all their threads, as one expression.

    It reads the per-thread counters the database keeps (revision 0009): each side reads its partial index,
    which holds only the threads with something unread for that side, index-only."""

    def side(role_column, counter):
        return (
            select(func.coalesce(func.sum(counter), 0))
            .where(role_column == user_id, counter > 0)
            .scalar_subquery()
        )

    return side(MessageThread.buyer_user_id, MessageThread.buyer_unread_count) + side(
        MessageThread.seller_user_id, MessageThread.seller_unread_count
    )


# The inbox reads the unread total with its signature; the nav badge on the same page reuses it (same request,
# no write in between) rather than asking again.
KNOWN_UNREAD = "known_unread_totals"


def unread_total(user_id: int) -> int:
    """The nav badge's number: one statement, or none when this request's inbox signature already read it."""
    known = g.get(KNOWN_UNREAD, {}) if has_app_context() else {}
    if user_id in known:
        return known[user_id]
    return db.session.scalar(_unread_total_statement(), {"user_id": user_id}) or 0


@cache
def _unread_total_statement() -> Select[tuple[int]]:
    return prebuilt(select(_unread_sum(bindparam("user_id", type_=Integer))))


def mark_read(thread_id: int, reader_id: int) -> int:
    """The reader has seen the other person's messages: stamp read_at on those still unread.

    A trigger then updates the thread's counters, so this takes the message rows' locks and then the thread's.
    Never call it while holding the thread's lock from a send (the reply view commits the send first): the
    reverse order would let a read in another tab deadlock with it."""
    # Not the columns' own names: an UPDATE keeps those for its SET clause.
    parameters = {"the_thread": thread_id, "the_reader": reader_id, "now": utcnow()}
    return db.session.execute(_MARK_READ, parameters).rowcount or 0


_MARK_READ = (
    update(Message)
    .where(
        Message.thread_id == bindparam("the_thread", type_=Integer),
        Message.read_at.is_(None),
        Message.sender_user_id != bindparam("the_reader", type_=Integer),
    )
    .values(read_at=bindparam("now", type_=Message.read_at.type))
    .execution_options(synchronize_session=False)
)


@cache
def _signature_statement() -> Select[Any]:
    user_id = bindparam("user_id", type_=Integer)

    def newest(role_column):
        return (
            select(MessageThread.last_message_at)
            .where(role_column == user_id, MessageThread.last_message_at.is_not(None))
            .order_by(MessageThread.last_message_at.desc())
            .limit(1)
            .scalar_subquery()
        )

    return prebuilt(
        select(
            _unread_sum(user_id), newest(MessageThread.buyer_user_id), newest(MessageThread.seller_user_id)
        )
    )


def inbox_signature(user_id: int) -> str:
    """What the inbox poll compares: the unread total and the newest activity over this user's threads.

    One statement: the unread counters (as unread_total) and, per side, the newest thread from the
    (user, last_message_at DESC) index, one row whatever the number of threads."""
    total, buying, selling = db.session.execute(_signature_statement(), {"user_id": user_id}).one()
    if has_app_context():
        g.setdefault(KNOWN_UNREAD, {})[user_id] = total or 0
    latest = max((moment for moment in (buying, selling) if moment is not None), default=None)
    return f"{total or 0}-{latest.timestamp() if latest else 0:.6f}"


# --- inbox ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxRow:
    thread_id: int
    subject: str
    status: str
    last_message_at: datetime | None
    role: Literal["buying", "selling"]
    other_name: str
    listing_title: str | None
    last_text: str
    last_sender_is_me: bool
    unread: int


@dataclass(frozen=True)
class InboxPage:
    rows: list[InboxRow]
    tab: InboxTab
    page: int
    has_next: bool


def _tab_criteria(tab: InboxTab) -> list:
    # .value: SQLAlchemy types a plain str as VARCHAR, but not a str subclass like the enum member.
    status = func.coalesce(MessageThread.status, ThreadStatus.ACTIVE.value)
    return [status == ThreadStatus.ARCHIVED] if tab == "archived" else [status != ThreadStatus.ARCHIVED]


def _role_branch(role_column, user_id: ColumnElement[int], tab: InboxTab, limit: ColumnElement[int]):
    # Each branch walks its own (user, last_message_at DESC) index and stops after `limit` rows.
    return (
        select(MessageThread.id, MessageThread.last_message_at)
        .where(role_column == user_id, *_tab_criteria(tab))
        .order_by(MessageThread.last_message_at.desc(), MessageThread.id.desc())
        .limit(limit)
    )


@cache
def _inbox_statement(tab: InboxTab) -> Select[Any]:
    """One page of a tab of the inbox, built once per tab: the user, the candidates per side and the offset are
    bound at execution. Page ids first, then the other person, listing and last message through joins (LATERAL
    for the message; no query per thread); unread counts come from the thread's counters."""
    user_id = bindparam("user_id", type_=Integer)
    candidates_per_side = bindparam("candidates", type_=Integer)
    branches = []
    if tab in ("all", "buying", "archived"):
        branches.append(_role_branch(MessageThread.buyer_user_id, user_id, tab, candidates_per_side))
    if tab in ("all", "selling", "archived"):
        branches.append(_role_branch(MessageThread.seller_user_id, user_id, tab, candidates_per_side))
    candidates = (union_all(*branches) if len(branches) > 1 else branches[0]).subquery("candidates")
    page_ids = (
        select(candidates.c.id, candidates.c.last_message_at)
        .order_by(candidates.c.last_message_at.desc(), candidates.c.id.desc())
        .limit(INBOX_PAGE_SIZE + 1)
        .offset(bindparam("offset", type_=Integer))
        .subquery("page_ids")
    )

    thread = MessageThread
    other = aliased(MarketplaceUser, name="other_user")
    last_message = (
        select(
            func.left(Message.message_text, SNIPPET_SOURCE_CHARS).label("text"),
            Message.sender_user_id,
        )
        .where(Message.thread_id == thread.id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(1)
        .lateral("last_message")
    )
    other_id = case((thread.buyer_user_id == user_id, thread.seller_user_id), else_=thread.buyer_user_id)
    return prebuilt(
        select(
            thread.id,
            thread.subject,
            thread.status,
            thread.last_message_at,
            thread.buyer_user_id,
            other.display_name.label("other_name"),
            ServiceListing.title,
            last_message.c.text,
            last_message.c.sender_user_id,
            thread.unread_count_for(user_id).label("unread"),
        )
        .select_from(page_ids)
        .join(thread, thread.id == page_ids.c.id)
        .join(other, other.id == other_id)
        .outerjoin(ServiceListing, ServiceListing.id == thread.listing_id)
        .outerjoin(last_message, true())
        .order_by(page_ids.c.last_message_at.desc(), page_ids.c.id.desc())
    )


def inbox_page(user_id: int, tab: InboxTab, page: int) -> InboxPage:
    """One page of the inbox in a single statement (_inbox_statement)."""
    offset = (page - 1) * INBOX_PAGE_SIZE
    parameters = {"user_id": user_id, "candidates": offset + INBOX_PAGE_SIZE + 1, "offset": offset}
    # As mappings: a Row's attribute first fails as an attribute (an AttributeError made and dropped) before it
    # finds the column, ten values of twenty-five rows a page.
    rows = db.session.execute(_inbox_statement(tab), parameters).mappings().all()
    return InboxPage(
        rows=[_inbox_row(row, user_id) for row in rows[:INBOX_PAGE_SIZE]],
        tab=tab,
        page=page,
        has_next=len(rows) > INBOX_PAGE_SIZE,
    )


def _inbox_row(row: RowMapping, user_id: int) -> InboxRow:
    return InboxRow(
        thread_id=row["id"],
        subject=row["subject"] or row["title"] or "Conversation",
        status=row["status"] or ThreadStatus.ACTIVE,
        last_message_at=row["last_message_at"],
        role="buying" if row["buyer_user_id"] == user_id else "selling",
        other_name=row["other_name"],
        listing_title=row["title"],
        last_text=row["text"] or "",
        last_sender_is_me=row["sender_user_id"] == user_id,
        unread=row["unread"],
    )


# --- one thread ----------------------------------------------------------------------------------------------


def _cursor_created_at(thread_id: int | ColumnElement[int], message_id: int | ColumnElement[int]):
    return (
        select(Message.created_at)
        .where(Message.id == message_id, Message.thread_id == thread_id)
        .scalar_subquery()
    )


class ShownMessage(NamedTuple):
    """What a page shows of a message: thirty Message objects cost more Python than the statement. A tuple of
    its own, not the Row: a Row's attribute first fails as an attribute (an AttributeError made and dropped)
    before it finds the column, for every value the template reads."""

    id: int
    thread_id: int
    sender_user_id: int
    message_text: str | None
    created_at: datetime
    marketplace_transaction_id: int | None
    read_at: datetime | None


_SHOWN = (
    Message.id,
    Message.thread_id,
    Message.sender_user_id,
    Message.message_text,
    Message.created_at,
    Message.marketplace_transaction_id,
    Message.read_at,
)


@cache
def _messages_page_statement(before: bool) -> Select[Any]:
    """The newest messages of a thread, or (`before`) those before a message id: built once each."""
    thread_id = bindparam("thread_id", type_=Integer)
    statement = select(*_SHOWN).where(Message.thread_id == thread_id)
    if before:
        before_id = bindparam("before_id", type_=Integer)
        cursor_at = _cursor_created_at(thread_id, before_id)
        statement = statement.where(
            Message.created_at <= cursor_at,
            tuple_(Message.created_at, Message.id) < tuple_(cursor_at, before_id),
        )
    return prebuilt(
        statement.order_by(Message.created_at.desc(), Message.id.desc()).limit(THREAD_PAGE_SIZE + 1)
    )


def messages_page(thread_id: int, before_id: int | None = None) -> tuple[list[ShownMessage], bool]:
    """The newest THREAD_PAGE_SIZE messages (or those just before `before_id`), oldest first, and whether
    older ones exist."""
    parameters = {"thread_id": thread_id}
    if before_id is not None:
        parameters["before_id"] = before_id
    newest_first = db.session.execute(_messages_page_statement(before_id is not None), parameters).all()
    has_earlier = len(newest_first) > THREAD_PAGE_SIZE
    return [ShownMessage(*row) for row in reversed(newest_first[:THREAD_PAGE_SIZE])], has_earlier


def _newer_than(thread_id: int, after_id: int):
    if after_id <= 0:
        return [Message.thread_id == thread_id]
    cursor_at = _cursor_created_at(thread_id, after_id)
    return [
        Message.thread_id == thread_id,
        Message.created_at >= cursor_at,
        tuple_(Message.created_at, Message.id) > tuple_(cursor_at, after_id),
    ]


def messages_after(thread_id: int, after_id: int) -> list[ShownMessage]:
    rows = db.session.execute(
        select(*_SHOWN)
        .where(*_newer_than(thread_id, after_id))
        .order_by(Message.created_at, Message.id)
        .limit(THREAD_PAGE_SIZE * 4)
    )
    return [ShownMessage(*row) for row in rows]


def _seen_id_subquery(thread_id: int | ColumnElement[int], sender_id: int | ColumnElement[int]):
    return (
        select(Message.id)
        .where(
            Message.thread_id == thread_id,
            Message.sender_user_id == sender_id,
            Message.read_at.is_not(None),
        )
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def seen_message_id(thread_id: int, sender_id: int) -> int | None:
    """The sender's last message the other person has read: "Seen" goes under it."""
    return db.session.scalar(_SEEN_ID, {"thread_id": thread_id, "sender_id": sender_id})


_SEEN_ID = prebuilt(
    select(_seen_id_subquery(bindparam("thread_id", type_=Integer), bindparam("sender_id", type_=Integer)))
)


@dataclass(frozen=True)
class PollState:
    status: str
    has_new: bool
    seen_id: int | None


def poll_state(thread_id: int, user_id: int, after_id: int) -> PollState:
    """Has anything changed since the page's cursor? One indexed query; 404 for a non-participant."""
    row = db.session.execute(
        select(
            MessageThread.status,
            select(Message.id).where(*_newer_than(thread_id, after_id)).limit(1).exists(),
            _seen_id_subquery(thread_id, user_id),
        ).where(MessageThread.id == thread_id, participant_filter(user_id))
    ).one_or_none()
    if row is None:
        abort(404)
    return PollState(status=row[0] or ThreadStatus.ACTIVE, has_new=bool(row[1]), seen_id=row[2])


# --- attachments ---------------------------------------------------------------------------------------------


# = ANY(array), not IN (…): one statement text for any number of ids, so it is neither expanded nor compiled
# per request.
_ATTACHMENTS_OF = prebuilt(
    select(MessageAttachment)
    .where(MessageAttachment.message_id == any_(bindparam("message_ids", type_=ARRAY(Integer))))
    .order_by(MessageAttachment.message_id, MessageAttachment.position)
)


def attachments_for(messages: Sequence[ShownMessage]) -> dict[int, list[MessageAttachment]]:
    """The attachments of these messages, by message id, in their order: one query for a whole page."""
    if not messages:
        return {}
    found: dict[int, list[MessageAttachment]] = {}
    ids = [message.id for message in messages]
    for attachment in db.session.scalars(_ATTACHMENTS_OF, {"message_ids": ids}):
        found.setdefault(attachment.message_id, []).append(attachment)
    return found


def attachment_for_participant_or_404(thread_id: int, attachment_id: int, user_id: int) -> MessageAttachment:
    """The attachment, if it belongs to this thread and this user is the thread's buyer or seller; otherwise 404
    (whether it exists or not, and whatever thread id the link carries)."""
    attachment = db.session.scalar(
        select(MessageAttachment)
        .join(Message, Message.id == MessageAttachment.message_id)
        .join(MessageThread, MessageThread.id == Message.thread_id)
        .where(
            MessageAttachment.id == attachment_id,
            Message.thread_id == thread_id,
            participant_filter(user_id),
        )
    )
    if attachment is None:
        abort(404)
    return attachment
