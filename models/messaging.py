"""Buyer–seller conversations about a listing."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    case,
    func,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship

from models.base import Base
from models.types import SPEC_TIMESTAMP, check_in, intpk, utcnow

if TYPE_CHECKING:
    from models.marketplace import MarketplaceUser, ServiceListing


class ThreadStatus(StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"
    BLOCKED = "blocked"


class MessageThread(Base):
    __tablename__ = "MessageThread"
    __table_args__ = (
        check_in("status", ThreadStatus),
        Index("MessageThread_buyer_idx", "buyer_user_id", text("last_message_at DESC")),
        Index("MessageThread_seller_idx", "seller_user_id", text("last_message_at DESC")),
        Index("MessageThread_listing_idx", "listing_id", postgresql_where=text("listing_id IS NOT NULL")),
        # Ours (revision 0004): one conversation per (listing, buyer).
        Index(
            "MessageThread_listing_id_buyer_user_id_key",
            "listing_id",
            "buyer_user_id",
            unique=True,
            postgresql_where=text("listing_id IS NOT NULL"),
        ),
        # Ours (revision 0009): unread counters kept by triggers on "Message"; the nav badge reads these.
        CheckConstraint("buyer_unread_count >= 0", name="buyer_unread_count"),
        CheckConstraint("seller_unread_count >= 0", name="seller_unread_count"),
        Index(
            "MessageThread_buyer_unread_idx",
            "buyer_user_id",
            postgresql_include=["buyer_unread_count"],
            postgresql_where=text("buyer_unread_count > 0"),
        ),
        Index(
            "MessageThread_seller_unread_idx",
            "seller_user_id",
            postgresql_include=["seller_unread_count"],
            postgresql_where=text("seller_unread_count > 0"),
        ),
    )

    id: Mapped[intpk]
    listing_id: Mapped[int | None] = mapped_column(ForeignKey("ServiceListing.id", ondelete="SET NULL"))
    buyer_user_id: Mapped[int] = mapped_column(ForeignKey("MarketplaceUser.id", ondelete="CASCADE"))
    seller_user_id: Mapped[int] = mapped_column(ForeignKey("MarketplaceUser.id", ondelete="CASCADE"))
    subject: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str | None] = mapped_column(
        String(50), server_default=ThreadStatus.ACTIVE.value, default=ThreadStatus.ACTIVE
    )
    last_message_at: Mapped[datetime | None] = mapped_column(SPEC_TIMESTAMP)
    created_at: Mapped[datetime | None] = mapped_column(
        SPEC_TIMESTAMP, server_default=func.now(), default=utcnow
    )
    # Messages of the other person (or anyone but this side) not yet read. Maintained only by the database's
    # triggers (revision 0009): never write them from Python; re-read after sending or reading.
    buyer_unread_count: Mapped[int] = mapped_column(server_default="0", default=0)
    seller_unread_count: Mapped[int] = mapped_column(server_default="0", default=0)

    listing: Mapped[ServiceListing | None] = relationship(back_populates="threads")
    # Prisma: @relation("BuyerThreads") / @relation("SellerThreads")
    buyer_user: Mapped[MarketplaceUser] = relationship(
        back_populates="buyer_threads", foreign_keys=[buyer_user_id]
    )
    seller_user: Mapped[MarketplaceUser] = relationship(
        back_populates="seller_threads", foreign_keys=[seller_user_id]
    )
    messages: WriteOnlyMapped[Message] = relationship(back_populates="thread", order_by="Message.created_at")

    def other_party_id(self, user_id: int) -> int:
        return self.seller_user_id if user_id == self.buyer_user_id else self.buyer_user_id

    @hybrid_method
    def unread_count_for(self, user_id: int) -> int:
        """The other person's messages this participant has not read, as the triggers keep them: their side's
        counter (in SQL too, as a column expression)."""
        return self.buyer_unread_count if user_id == self.buyer_user_id else self.seller_unread_count

    @unread_count_for.expression
    def _unread_count_for(cls, user_id: Any) -> ColumnElement[int]:
        return case((cls.buyer_user_id == user_id, cls.buyer_unread_count), else_=cls.seller_unread_count)


class Message(Base):
    __tablename__ = "Message"
    __table_args__ = (
        Index("Message_thread_idx", "thread_id", text("created_at DESC")),
        Index("Message_sender_idx", "sender_user_id", text("created_at DESC")),
        Index("Message_unread_idx", "thread_id", "read_at", postgresql_where=text("read_at IS NULL")),
        # Ours (revision 0012): the messages that carry a recorded sale (deal cards), found by sale.
        Index(
            "Message_marketplace_transaction_id_idx",
            "marketplace_transaction_id",
            postgresql_where=text("marketplace_transaction_id IS NOT NULL"),
        ),
        # Ours (revision 0020): a form posted twice stores one message (see idempotency_key).
        Index(
            "Message_thread_id_sender_user_id_idempotency_key_key",
            "thread_id",
            "sender_user_id",
            "idempotency_key",
            unique=True,
            postgresql_where=text("idempotency_key IS NOT NULL"),
        ),
    )

    id: Mapped[intpk]
    thread_id: Mapped[int] = mapped_column(ForeignKey("MessageThread.id", ondelete="CASCADE"))
    sender_user_id: Mapped[int] = mapped_column(ForeignKey("MarketplaceUser.id", ondelete="CASCADE"))
    message_text: Mapped[str] = mapped_column(Text)
    read_at: Mapped[datetime | None] = mapped_column(SPEC_TIMESTAMP)
    created_at: Mapped[datetime | None] = mapped_column(
        SPEC_TIMESTAMP, server_default=func.now(), default=utcnow
    )
    # Ours (revision 0012): the sale this message announces, shown as a deal card in the thread.
    marketplace_transaction_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("MarketplaceTransaction.id", ondelete="SET NULL")
    )
    # Ours (revision 0020): the key of the form that sent it (new per rendered form); NULL for the app's own.
    idempotency_key: Mapped[str | None] = mapped_column(String(64))

    thread: Mapped[MessageThread] = relationship(back_populates="messages")
    sender: Mapped[MarketplaceUser] = relationship(back_populates="sent_messages")


class AttachmentType(StrEnum):
    """What a message may carry: the stored file's type (checked from its content, never from its name)."""

    PDF = "application/pdf"
    JPEG = "image/jpeg"
    PNG = "image/png"


MAX_ATTACHMENTS = 5


class MessageAttachment(Base):
    """Ours (revision 0015): a file sent with a message. The bytes live in app/storage.py under `storage_path`
    (`attachments/<thread id>/<message id>/<sha256>.<ext>`), never public: only the thread's two participants can
    download them, through the app. Images also have a small WebP thumbnail for the thread page."""

    __tablename__ = "MessageAttachment"
    __table_args__ = (
        check_in("content_type", AttachmentType),
        CheckConstraint(f"position >= 0 AND position < {MAX_ATTACHMENTS}", name="position"),
        CheckConstraint("size_bytes > 0", name="size_bytes"),
        CheckConstraint(
            "(thumbnail_path IS NULL) = (thumbnail_width IS NULL) "
            "AND (thumbnail_path IS NULL) = (thumbnail_height IS NULL)",
            name="thumbnail",
        ),
        # One row per place in the message; its leading column finds a page's attachments and serves the cascade.
        UniqueConstraint("message_id", "position"),
    )

    id: Mapped[intpk]
    message_id: Mapped[int] = mapped_column(ForeignKey("Message.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(SmallInteger)
    file_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    storage_path: Mapped[str] = mapped_column(Text)
    thumbnail_path: Mapped[str | None] = mapped_column(Text)
    thumbnail_width: Mapped[int | None] = mapped_column(SmallInteger)
    thumbnail_height: Mapped[int | None] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(
        SPEC_TIMESTAMP, server_default=text("timezone('utc'::text, now())"), default=utcnow
    )

    @property
    def is_image(self) -> bool:
        return self.thumbnail_path is not None


class MessageNotification(Base):
    """Ours (revision 0007): when a recipient was last e-mailed about a thread, so a busy conversation sends at
    most one e-mail per rate window. One row per (thread, recipient), claimed with INSERT ... ON CONFLICT."""

    __tablename__ = "MessageNotification"

    thread_id: Mapped[int] = mapped_column(
        ForeignKey("MessageThread.id", ondelete="CASCADE"), primary_key=True
    )
    recipient_user_id: Mapped[int] = mapped_column(
        ForeignKey("MarketplaceUser.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    last_sent_at: Mapped[datetime] = mapped_column(SPEC_TIMESTAMP)
