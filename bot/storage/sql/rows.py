"""Shared by the SQL store's modules: the base with the engine, row conversions, and chunking."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.records import ClaimedDelivery, DeliveryRecord, DeliveryState, SubscriptionRecord, decode_modes
from bot.storage.sql.tables import subscriptions
from bot.types import ChatRef, Lang, Platform

CHUNK = 500  # rows per multi-row statement (SQLite caps bound parameters)


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class SqlBase:
    """The engine every part of the SQL store works through. Methods are small transactions; none holds a
    transaction across an await on anything but the database."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def insert(self, table: Any) -> pg.Insert | sqlite.Insert:
        """An INSERT with the dialect's ON CONFLICT support."""
        return pg.insert(table) if self.dialect == "postgresql" else sqlite.insert(table)


def parse_time(value: str) -> dt.time:
    hour, minute = value.split(":")
    return dt.time(int(hour), int(minute))


def subscription_record(row: Row[Any]) -> SubscriptionRecord:
    m = row._mapping
    lang: Lang = "zh" if m["lang"] == "zh" else "en"
    return SubscriptionRecord(
        id=int(m["id"]),
        chat=ChatRef(Platform(m["platform"]), m["chat_id"], m["thread_id"] or None, bool(m["is_group"])),
        deadline_id=m["deadline_id"],
        local_time=parse_time(m["local_time"]),
        timezone=m["timezone"],
        lang=lang,
        created_by=m["created_by"],
        created_at=m["created_at"],
        active=bool(m["active"]),
        paused=bool(m["paused"]),
        inactive_reason=m["inactive_reason"],
        next_due_at=m["next_due_at"],
        modes=decode_modes(m["modes"]),
    )


def claimed_delivery(row: Row[Any]) -> ClaimedDelivery:
    """A row of the subscriptions table joined with d_* columns of its delivery."""
    m = row._mapping
    return ClaimedDelivery(
        id=int(m["d_id"]),
        subscription=subscription_record(row),
        local_date=dt.date.fromisoformat(m["d_local_date"]),
        due_at=m["d_due_at"],
        attempts=int(m["d_attempts"]),
        announcement_id=m["d_announcement_id"],
    )


def delivery_record(row: Row[Any]) -> DeliveryRecord:
    m = row._mapping
    return DeliveryRecord(
        id=int(m["id"]),
        subscription_id=int(m["subscription_id"]),
        local_date=dt.date.fromisoformat(m["local_date"]),
        due_at=m["due_at"],
        state=DeliveryState(m["state"]),
        attempts=int(m["attempts"]),
        claimed_by=m["claimed_by"],
        lease_until=m["lease_until"],
        claimed_at=m["claimed_at"],
        finished_at=m["finished_at"],
        detail=m["detail"],
        announcement_id=m["announcement_id"],
    )


def chat_filter(chat: ChatRef) -> ColumnElement[bool]:
    return and_(
        subscriptions.c.platform == chat.platform.value,
        subscriptions.c.chat_id == chat.chat_id,
        subscriptions.c.thread_id == (chat.thread_id or ""),
    )
