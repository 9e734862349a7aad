"""Reusable column types: keep the customer's two naming styles (camelCase and snake_case) in one place."""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

from sqlalchemy import CheckConstraint, Integer
from sqlalchemy.dialects.postgresql import TIMESTAMP
from sqlalchemy.orm import mapped_column


def utcnow() -> datetime:
    """Naive UTC: the customer's columns are TIMESTAMP WITHOUT TIME ZONE holding UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


# Ids are INTEGER: a larger number cannot name a row, and must not reach the database (it would raise there).
INT4_MAX = 2_147_483_647

intpk = Annotated[int, mapped_column(Integer, primary_key=True)]

# Prisma's DateTime: TIMESTAMP(3). The spec's own new columns are plain TIMESTAMP.
PRISMA_TIMESTAMP = TIMESTAMP(precision=3)
SPEC_TIMESTAMP = TIMESTAMP()


def check_in(column: str, allowed: type[StrEnum]) -> CheckConstraint:
    """The spec's `CHECK (column IN ('a', 'b', ...))`, from the enum the code compares against, in the same text
    the spec writes. The column stays VARCHAR/TEXT (the customer's Prisma app reads it): no PostgreSQL ENUM."""
    values = ", ".join("'{}'".format(member.value.replace("'", "''")) for member in allowed)
    return CheckConstraint(f"{column} IN ({values})", name=column, info={"allowed": allowed})
