"""Subscriptions in SQL: add (or revive), list, delete, and follow chats that vanish or migrate."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import case, delete, false, func, select, text, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.errors import DuplicateSubscriptionError
from bot.storage.records import Mode, NewSubscription, SubscriptionRecord, encode_modes
from bot.storage.sql.rows import SqlBase, chat_filter, chunks, subscription_record
from bot.storage.sql.tables import subscriptions
from bot.types import ChatRef, Platform

_ANALYZE_AFTER = 10_000
"""PostgreSQL: refresh the planner's statistics after a bulk insert this large."""


def _values(new: NewSubscription) -> dict[str, Any]:
    return {
        "platform": new.chat.platform.value,
        "chat_id": new.chat.chat_id,
        "thread_id": new.chat.thread_id or "",
        "is_group": new.chat.is_group,
        "deadline_id": new.deadline_id,
        "local_time": new.local_time.strftime("%H:%M"),
        "timezone": new.timezone,
        "lang": new.lang,
        "created_by": new.created_by,
        "created_at": new.created_at,
        "active": True,
        "paused": False,
        "inactive_reason": None,
        "next_due_at": new.next_due_at,
        "modes": encode_modes(new.modes),
    }


class SqlSubscriptions(SqlBase):
    """bot.storage.base.SubscriptionStore over SQLAlchemy."""

    async def _find_same(self, conn: AsyncConnection, new: NewSubscription) -> SubscriptionRecord | None:
        row = (
            await conn.execute(
                select(subscriptions).where(
                    chat_filter(new.chat),
                    subscriptions.c.deadline_id == new.deadline_id,
                    subscriptions.c.local_time == new.local_time.strftime("%H:%M"),
                    subscriptions.c.timezone == new.timezone,
                )
            )
        ).first()
        return subscription_record(row) if row else None

    async def add_subscription(self, new: NewSubscription) -> SubscriptionRecord:
        values = _values(new)
        try:
            async with self.engine.begin() as conn:
                same = await self._find_same(conn, new)
                if same is not None and same.active:
                    raise DuplicateSubscriptionError(same.id)
                if same is not None:
                    await conn.execute(update(subscriptions).where(subscriptions.c.id == same.id).values(**values))
                    sub_id = same.id
                else:
                    result = await conn.execute(subscriptions.insert().values(**values).returning(subscriptions.c.id))
                    sub_id = int(result.scalar_one())
                row = (await conn.execute(select(subscriptions).where(subscriptions.c.id == sub_id))).one()
                return subscription_record(row)
        except IntegrityError:  # a concurrent identical subscribe won the race
            async with self.engine.connect() as conn:
                same = await self._find_same(conn, new)
            if same is None:
                raise
            raise DuplicateSubscriptionError(same.id) from None

    async def bulk_add_subscriptions(self, news: Sequence[NewSubscription]) -> int:
        async with self.engine.begin() as conn:
            for chunk in chunks(news, 2000):
                await conn.execute(subscriptions.insert(), [_values(n) for n in chunk])
            if self.dialect == "postgresql" and len(news) >= _ANALYZE_AFTER:
                await conn.execute(text("ANALYZE subscriptions"))
        return len(news)

    async def set_modes(self, subscription_id: int, modes: frozenset[Mode]) -> SubscriptionRecord | None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(subscriptions).where(subscriptions.c.id == subscription_id).values(modes=encode_modes(modes))
            )
            row = (await conn.execute(select(subscriptions).where(subscriptions.c.id == subscription_id))).first()
        return subscription_record(row) if row else None

    async def list_subscriptions(self, chat: ChatRef, *, include_inactive: bool = False) -> list[SubscriptionRecord]:
        query = select(subscriptions).where(chat_filter(chat)).order_by(subscriptions.c.id)
        if not include_inactive:
            query = query.where(subscriptions.c.active == true())
        async with self.engine.connect() as conn:
            return [subscription_record(row) for row in await conn.execute(query)]

    async def get_subscription(self, subscription_id: int) -> SubscriptionRecord | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(subscriptions).where(subscriptions.c.id == subscription_id))).first()
        return subscription_record(row) if row else None

    async def delete_subscriptions(self, ids: Sequence[int]) -> int:
        if not ids:
            return 0
        async with self.engine.begin() as conn:
            result = await conn.execute(delete(subscriptions).where(subscriptions.c.id.in_(list(ids))))
        return int(result.rowcount)

    async def deactivate_chat(self, platform: Platform, chat_id: str, reason: str) -> int:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(subscriptions)
                .where(
                    subscriptions.c.platform == platform.value,
                    subscriptions.c.chat_id == chat_id,
                    subscriptions.c.active == true(),
                )
                .values(active=False, next_due_at=None, inactive_reason=reason[:500])
            )
        return int(result.rowcount)

    async def migrate_chat(self, platform: Platform, old_chat_id: str, new_chat_id: str) -> int:
        moved = 0
        async with self.engine.begin() as conn:
            rows = (
                await conn.execute(
                    select(subscriptions).where(
                        subscriptions.c.platform == platform.value, subscriptions.c.chat_id == old_chat_id
                    )
                )
            ).all()
            for row in rows:
                rec = subscription_record(row)
                clash = (
                    await conn.execute(
                        select(subscriptions.c.id).where(
                            subscriptions.c.platform == platform.value,
                            subscriptions.c.chat_id == new_chat_id,
                            subscriptions.c.thread_id == (rec.chat.thread_id or ""),
                            subscriptions.c.deadline_id == rec.deadline_id,
                            subscriptions.c.local_time == rec.local_time.strftime("%H:%M"),
                            subscriptions.c.timezone == rec.timezone,
                        )
                    )
                ).first()
                if clash is not None:
                    await conn.execute(delete(subscriptions).where(subscriptions.c.id == rec.id))
                    continue
                await conn.execute(
                    update(subscriptions).where(subscriptions.c.id == rec.id).values(chat_id=new_chat_id)
                )
                moved += 1
        return moved

    async def subscription_counts(self) -> dict[str, int]:
        state = case(
            (subscriptions.c.active == false(), "inactive"),
            (subscriptions.c.paused == true(), "paused"),
            else_="active",
        )
        counts = {"active": 0, "paused": 0, "inactive": 0}
        async with self.engine.connect() as conn:
            for name, n in await conn.execute(select(state, func.count()).group_by(state)):
                counts[str(name)] = int(n)
        return counts
