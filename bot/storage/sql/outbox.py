"""The outbox in SQL: due subscriptions, claims under a lease, takeover of expired claims, outcomes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import bindparam, delete, false, func, select, true, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.records import (
    Advance,
    Claim,
    ClaimedDelivery,
    DeliveryRecord,
    DeliveryState,
    Outcome,
    SubscriptionRecord,
    chat_key,
)
from bot.storage.sql.rows import SqlBase, chunks, claimed_delivery, delivery_record, subscription_record
from bot.storage.sql.tables import deliveries, subscriptions
from bot.types import ChatRef, Platform

_CLAIMED = DeliveryState.CLAIMED.value


class SqlOutbox(SqlBase):
    """bot.storage.base.OutboxStore over SQLAlchemy."""

    async def due_subscriptions(
        self, now: dt.datetime, platforms: Sequence[Platform], limit: int
    ) -> list[SubscriptionRecord]:
        """The tick's claim query; uses ix_subscriptions_next_due."""
        query = (
            select(subscriptions)
            .where(
                subscriptions.c.next_due_at <= now,
                subscriptions.c.platform.in_([p.value for p in platforms]),
                subscriptions.c.active == true(),
                subscriptions.c.paused == false(),
            )
            .order_by(subscriptions.c.next_due_at, subscriptions.c.id)
            .limit(limit)
        )
        async with self.engine.connect() as conn:
            return [subscription_record(row) for row in await conn.execute(query)]

    async def claim(
        self,
        claims: Sequence[Claim],
        advances: Sequence[Advance],
        *,
        owner: str,
        lease_until: dt.datetime,
        now: dt.datetime,
    ) -> dict[int, int]:
        """Rows are written in subscription order, so concurrent claimers never deadlock."""
        won: dict[int, int] = {}
        ordered = sorted(claims, key=lambda c: c.subscription_id)
        async with self.engine.begin() as conn:
            chats = await _chat_keys(conn, [c.subscription_id for c in ordered if c.announcement_id is not None])
            for chunk in chunks(ordered):
                stmt = (
                    self.insert(deliveries)
                    .values(
                        [
                            {
                                "subscription_id": c.subscription_id,
                                "local_date": c.local_date.isoformat(),
                                "due_at": c.due_at,
                                "state": _CLAIMED,
                                "attempts": 0,
                                "claimed_by": owner,
                                "lease_until": lease_until,
                                "claimed_at": now,
                                "announcement_id": c.announcement_id,
                                "announcement_chat": chats.get(c.subscription_id) if c.announcement_id else None,
                            }
                            for c in chunk
                        ]
                    )
                    # any unique index: (subscription, local date), (subscription, announcement) and
                    # (chat, announcement)
                    .on_conflict_do_nothing()
                    .returning(deliveries.c.id, deliveries.c.subscription_id)
                )
                for delivery_id, sub_id in (await conn.execute(stmt)).all():
                    won[int(sub_id)] = int(delivery_id)
            if advances:
                stmt_adv = (
                    update(subscriptions)
                    .where(
                        subscriptions.c.id == bindparam("b_id"),
                        subscriptions.c.next_due_at == bindparam("b_expected"),
                    )
                    .values(next_due_at=bindparam("b_next"))
                )
                params = [
                    {"b_id": a.subscription_id, "b_expected": a.expected, "b_next": a.next_due_at}
                    for a in sorted(advances, key=lambda a: a.subscription_id)
                ]
                await conn.execute(stmt_adv, params)
        return won

    async def _claimed_deliveries(self, ids: Sequence[int]) -> list[ClaimedDelivery]:
        """Claimed rows with their subscriptions, in id order."""
        out: list[ClaimedDelivery] = []
        async with self.engine.connect() as conn:
            for chunk in chunks(sorted(ids)):
                rows = await conn.execute(
                    select(
                        subscriptions,
                        deliveries.c.id.label("d_id"),
                        deliveries.c.local_date.label("d_local_date"),
                        deliveries.c.due_at.label("d_due_at"),
                        deliveries.c.attempts.label("d_attempts"),
                        deliveries.c.announcement_id.label("d_announcement_id"),
                    )
                    .join(subscriptions, subscriptions.c.id == deliveries.c.subscription_id)
                    .where(deliveries.c.id.in_(list(chunk)))
                    .order_by(deliveries.c.id)
                )
                out.extend(claimed_delivery(row) for row in rows)
        return out

    async def announced(self, subscription_ids: Sequence[int], announcement_ids: Sequence[str]) -> set[tuple[int, str]]:
        if not subscription_ids or not announcement_ids:
            return set()
        async with self.engine.connect() as conn:
            chats = await _chat_keys(conn, subscription_ids)
            done: set[tuple[str, str]] = set()
            for chunk in chunks(sorted(set(chats.values()))):
                rows = await conn.execute(
                    select(deliveries.c.announcement_chat, deliveries.c.announcement_id).where(
                        deliveries.c.announcement_chat.in_(list(chunk)),
                        deliveries.c.announcement_id.in_(sorted(set(announcement_ids))),
                    )
                )
                done.update((str(chat), str(ann_id)) for chat, ann_id in rows)
        return {(sub_id, ann) for sub_id, chat in chats.items() for ann in announcement_ids if (chat, ann) in done}

    async def reclaim_expired(
        self,
        now: dt.datetime,
        *,
        owner: str,
        lease_until: dt.datetime,
        platforms: Sequence[Platform],
        limit: int,
    ) -> list[ClaimedDelivery]:
        async with self.engine.begin() as conn:
            candidates = [
                int(r[0])
                for r in await conn.execute(
                    select(deliveries.c.id)
                    .join(subscriptions, subscriptions.c.id == deliveries.c.subscription_id)
                    .where(
                        deliveries.c.state == _CLAIMED,
                        deliveries.c.lease_until < now,
                        subscriptions.c.platform.in_([p.value for p in platforms]),
                    )
                    .order_by(deliveries.c.id)
                    .limit(limit)
                )
            ]
            if not candidates:
                return []
            result = await conn.execute(
                update(deliveries)
                .where(
                    deliveries.c.id.in_(candidates),
                    deliveries.c.state == _CLAIMED,
                    deliveries.c.lease_until < now,
                )
                .values(claimed_by=owner, lease_until=lease_until)
                .returning(deliveries.c.id)
            )
            won = [int(r[0]) for r in result]
        return await self._claimed_deliveries(won)

    async def renew_leases(self, owner: str, ids: Sequence[int], lease_until: dt.datetime) -> int:
        return await self._set_leases(owner, ids, lease_until)

    async def release_leases(self, owner: str, ids: Sequence[int], now: dt.datetime) -> int:
        return await self._set_leases(owner, ids, now - dt.timedelta(seconds=1))

    async def _set_leases(self, owner: str, ids: Sequence[int], lease_until: dt.datetime) -> int:
        """Move the lease of `owner`'s claims among `ids` (into the past to release them)."""
        if not ids:
            return 0
        changed = 0
        async with self.engine.begin() as conn:
            for chunk in chunks(sorted(ids)):
                result = await conn.execute(
                    update(deliveries)
                    .where(
                        deliveries.c.id.in_(list(chunk)),
                        deliveries.c.state == _CLAIMED,
                        deliveries.c.claimed_by == owner,
                    )
                    .values(lease_until=lease_until)
                )
                changed += int(result.rowcount)
        return changed

    async def expire_leases(self, now: dt.datetime) -> int:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(deliveries)
                .where(deliveries.c.state == _CLAIMED, deliveries.c.lease_until >= now)
                .values(lease_until=now - dt.timedelta(seconds=1))
            )
        return int(result.rowcount)

    async def record_outcomes(self, outcomes: Sequence[Outcome]) -> None:
        if not outcomes:
            return
        stmt = (
            update(deliveries)
            .where(
                deliveries.c.id == bindparam("b_id"),
                deliveries.c.state != DeliveryState.SENT.value,
            )
            .values(
                state=bindparam("b_state"),
                attempts=bindparam("b_attempts"),
                finished_at=bindparam("b_at"),
                detail=bindparam("b_detail"),
                lease_until=None,
            )
        )
        params = [
            {
                "b_id": o.delivery_id,
                "b_state": o.state.value,
                "b_attempts": o.attempts,
                "b_at": o.finished_at,
                "b_detail": (o.detail or None) and o.detail[:1000],
            }
            for o in outcomes
        ]
        async with self.engine.begin() as conn:
            await conn.execute(stmt, params)

    async def delivery_states(self) -> dict[str, int]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(deliveries.c.state, func.count()).group_by(deliveries.c.state))
            return {str(state): int(n) for state, n in rows}

    async def deliveries_of(self, subscription_id: int) -> list[DeliveryRecord]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(deliveries)
                .where(deliveries.c.subscription_id == subscription_id)
                .order_by(deliveries.c.local_date)
            )
            return [delivery_record(row) for row in rows]

    async def prune_deliveries(self, before: dt.date) -> int:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                delete(deliveries).where(
                    deliveries.c.local_date < before.isoformat(),
                    deliveries.c.state != _CLAIMED,
                )
            )
        return int(result.rowcount)


async def _chat_keys(conn: AsyncConnection, subscription_ids: Sequence[int]) -> dict[int, str]:
    """records.chat_key of each subscription's chat, by subscription id (missing ones are left out)."""
    keys: dict[int, str] = {}
    for chunk in chunks(sorted(set(subscription_ids))):
        rows = await conn.execute(
            select(
                subscriptions.c.id, subscriptions.c.platform, subscriptions.c.chat_id, subscriptions.c.thread_id
            ).where(subscriptions.c.id.in_(list(chunk)))
        )
        for sub_id, platform, chat_id, thread_id in rows:
            keys[int(sub_id)] = chat_key(ChatRef(Platform(platform), chat_id, thread_id or None))
    return keys
