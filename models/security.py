"""Sign-in security (revision 0018): revocable server-side sessions and TOTP two-factor sign-in.

Each row belongs to exactly one account, a portal Contact or a MarketplaceUser, by its id. None of these tables
is TenantOwned: a marketplace user's rows concern no tenant, and the sign-in path reads them before any tenant
is bound. Every reader filters by the signed-in account itself.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Identity, Index, Integer, String
from sqlalchemy.dialects.postgresql import INET
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.audit import UTC_NOW
from models.base import Base
from models.types import SPEC_TIMESTAMP, check_in

USER_AGENT_MAX = 500
ONE_ACCOUNT = "num_nonnulls(contact_id, marketplace_user_id) = 1"


class SessionEndReason(StrEnum):
    SIGNED_OUT = "signed_out"
    ENDED_FROM_ANOTHER_SESSION = "ended_from_another_session"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 - a reason, not a secret
    EXPIRED = "expired"
    SUSPENDED = "suspended"


class AccountOwned:
    """Belongs to one portal contact or one marketplace user (never both: a CHECK holds it)."""

    contact_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("Contact.id", ondelete="CASCADE"))
    marketplace_user_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("MarketplaceUser.id", ondelete="CASCADE")
    )


class SignInSession(AccountOwned, Base):
    """One sign-in on one device. The browser's cookie holds a random token; only its SHA-256 is stored, so a
    copy of this table signs no one in. Ending a session (ended_at) makes its cookie fail on the next request."""

    __tablename__ = "SignInSession"
    __table_args__ = (
        CheckConstraint(ONE_ACCOUNT, name="one_account"),
        check_in("ended_reason", SessionEndReason),
        CheckConstraint("(ended_at IS NULL) = (ended_reason IS NULL)", name="ended_with_reason"),
        Index("SignInSession_token_hash_key", "token_hash", unique=True),
        Index("SignInSession_contact_id_idx", "contact_id"),
        Index("SignInSession_marketplace_user_id_idx", "marketplace_user_id"),
    )
    __mapper_args__ = {"eager_defaults": True}

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    # The password hash's fingerprint at sign-in: a password changed anywhere (even by another app) ends it.
    credential_fingerprint: Mapped[str] = mapped_column(String(16))
    user_agent: Mapped[str | None] = mapped_column(String(USER_AGENT_MAX))
    ip_address: Mapped[str | None] = mapped_column(INET)
    created_at: Mapped[datetime] = mapped_column(SPEC_TIMESTAMP, server_default=UTC_NOW)
    last_used_at: Mapped[datetime] = mapped_column(SPEC_TIMESTAMP, server_default=UTC_NOW)
    ended_at: Mapped[datetime | None] = mapped_column(SPEC_TIMESTAMP)
    ended_reason: Mapped[str | None] = mapped_column(String(30))

    def __repr__(self) -> str:
        return f"<SignInSession {self.id} contact={self.contact_id} user={self.marketplace_user_id}>"


class TwoFactorCredential(AccountOwned, Base):
    """An account's TOTP secret. enabled_at is NULL while enrolment waits for its first correct code.

    last_used_step is the 30-second time step of the last code accepted: a code is accepted only for a later
    step, in one UPDATE, so a code (or an older one) cannot be replayed, even by two requests at once."""

    __tablename__ = "TwoFactorCredential"
    __table_args__ = (
        CheckConstraint(ONE_ACCOUNT, name="one_account"),
        Index("TwoFactorCredential_contact_id_key", "contact_id", unique=True),
        Index("TwoFactorCredential_marketplace_user_id_key", "marketplace_user_id", unique=True),
    )
    __mapper_args__ = {"eager_defaults": True}

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(SPEC_TIMESTAMP, server_default=UTC_NOW)
    enabled_at: Mapped[datetime | None] = mapped_column(SPEC_TIMESTAMP)
    last_used_step: Mapped[int | None] = mapped_column(BigInteger)

    recovery_codes: Mapped[list[TwoFactorRecoveryCode]] = relationship(
        back_populates="credential", cascade="all, delete-orphan", passive_deletes=True
    )


class TwoFactorRecoveryCode(Base):
    """One of ten single-use recovery codes, stored as the SHA-256 of the code (80 random bits each)."""

    __tablename__ = "TwoFactorRecoveryCode"
    __table_args__ = (
        Index("TwoFactorRecoveryCode_credential_id_code_hash_key", "credential_id", "code_hash", unique=True),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    credential_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("TwoFactorCredential.id", ondelete="CASCADE")
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(SPEC_TIMESTAMP)

    credential: Mapped[TwoFactorCredential] = relationship(back_populates="recovery_codes")
