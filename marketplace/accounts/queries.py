"""Marketplace account lookups."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from models import MarketplaceUser


def user_by_email(email: str) -> MarketplaceUser | None:
    """The account with this (already normalised, lower-case) address, or None."""
    return db.session.scalar(select(MarketplaceUser).where(MarketplaceUser.email == email))
