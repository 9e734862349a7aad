"""Webhook events already handled, for idempotency (revision 0013)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Identity, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from models.audit import UTC_NOW
from models.base import Base
from models.types import SPEC_TIMESTAMP


class StripeEvent(Base):
    """One Stripe event, inserted in the same transaction as its effect: a replayed or concurrent duplicate
    finds its event_id taken (INSERT ... ON CONFLICT DO NOTHING) and does nothing. Not TenantOwned: an event
    may concern no invoice of ours at all."""

    __tablename__ = "StripeEvent"
    __mapper_args__ = {"eager_defaults": True}

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    type: Mapped[str] = mapped_column(String(255))
    received_at: Mapped[datetime] = mapped_column(SPEC_TIMESTAMP, server_default=UTC_NOW)
    payload: Mapped[Any] = mapped_column(JSONB)

    def __repr__(self) -> str:
        return f"<StripeEvent {self.event_id} {self.type}>"
