"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """An instant: stored as naive UTC, always returned timezone-aware in UTC.

    SQLite has no time zones and PostgreSQL's ``timestamptz`` returns the session's zone; storing
    naive UTC everywhere makes comparisons and ordering identical on both.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """An aware datetime as naive UTC for the column; ValueError for a naive one."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UtcDateTime needs an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """The stored naive UTC value as an aware UTC datetime."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC)
