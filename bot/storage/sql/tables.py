"""The tables as SQLAlchemy Core objects, for queries. The DDL itself lives in migrations.py.

A test checks that every table and column here exists after migrating a fresh database.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)

from bot.types import UTC


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Stores naive UTC timestamps; accepts and returns timezone-aware datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # pragma: no cover - defensive, SQLAlchemy parses SQLite text
            value = dt.datetime.fromisoformat(value)
        assert isinstance(value, dt.datetime)
        return value.replace(tzinfo=UTC)


metadata = MetaData()

schema_version = Table("schema_version", metadata, Column("version", Integer, nullable=False))

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("chat_id", String(64), nullable=False),
    Column("thread_id", String(64), nullable=False, default=""),  # "" = none (keeps the unique index simple)
    Column("is_group", Boolean, nullable=False),
    Column("deadline_id", String(64), nullable=False),
    Column("local_time", String(5), nullable=False),  # HH:MM
    Column("timezone", String(64), nullable=False),
    Column("lang", String(8), nullable=False),
    Column("created_by", String(128), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("paused", Boolean, nullable=False),
    Column("inactive_reason", Text, nullable=True),
    Column("next_due_at", UTCDateTime, nullable=True),  # NULL while paused or inactive
    Column("modes", String(64), nullable=False, default="daily"),  # records.encode_modes: "milestones,updates"
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subscription_id", Integer, ForeignKey("subscriptions.id", ondelete="CASCADE"), nullable=False),
    Column("local_date", String(10), nullable=False),  # YYYY-MM-DD in the subscription's time zone
    Column("due_at", UTCDateTime, nullable=False),
    Column("state", String(16), nullable=False),  # claimed | sent | failed | skipped
    Column("attempts", Integer, nullable=False),
    Column("claimed_by", String(64), nullable=True),
    Column("lease_until", UTCDateTime, nullable=True),
    Column("claimed_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("detail", Text, nullable=True),
    Column("announcement_id", String(64), nullable=True),  # set on announcement posts; unique per subscription
    Column("announcement_chat", String(200), nullable=True),  # records.chat_key on announcement posts; unique
)

feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("entry_id", String(64), nullable=False),
    Column("voter", String(64), nullable=False),  # a hash of the user's id: one vote per user and entry
    Column("helpful", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

health_probe = Table(
    "health_probe",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("checked_at", UTCDateTime, nullable=False),
)

gaps = Table(
    "gaps",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("text", Text, nullable=False),
    Column("norm", Text, nullable=False),
    Column("lang", String(8), nullable=False),
    Column("confidence", Float, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)
