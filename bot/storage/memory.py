"""The in-memory store: the storage ports with the SQL store's semantics, in one process, kept nowhere.

For tests and throwaway runs. Every method completes without awaiting anything, so each is atomic on the
event loop exactly as a transaction is in SQL: two engines sharing one InMemoryStore race the same way two
processes sharing a database do (unique claims, leases, conditional advances). The contract suite in
tests/storage holds both stores to the same behaviour.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Sequence

from bot.errors import DuplicateSubscriptionError
from bot.storage.memory_curation import InMemoryCuration, utc
from bot.storage.records import (
    Advance,
    Claim,
    ClaimedDelivery,
    DeliveryRecord,
    DeliveryState,
    Mode,
    NewSubscription,
    Outcome,
    SubscriptionRecord,
    chat_key,
)
from bot.types import ChatRef, Platform

_DETAIL_MAX = 1000
_REASON_MAX = 500


def _utc_or_none(moment: dt.datetime | None) -> dt.datetime | None:
    return None if moment is None else utc(moment)


def _place(chat: ChatRef) -> tuple[str, str, str]:
    return (chat.platform.value, chat.chat_id, chat.thread_id or "")


def _identity(rec: SubscriptionRecord) -> tuple[str, str, str, str, str, str]:
    """What the unique index of subscriptions covers."""
    return (*_place(rec.chat), rec.deadline_id, rec.local_time.strftime("%H:%M"), rec.timezone)


class InMemoryStore(InMemoryCuration):
    """bot.storage.base.Store in memory."""

    shared = False

    def __init__(self) -> None:
        super().__init__()
        self._subs: dict[int, SubscriptionRecord] = {}
        self._deliveries: dict[int, DeliveryRecord] = {}
        self._delivery_keys: dict[tuple[int, dt.date], int] = {}
        self._announcement_keys: dict[tuple[int, str], int] = {}
        self._chat_announcements: dict[tuple[str, str], int] = {}
        """(chat key, announcement) -> delivery id: one announcement a chat."""
        self._announced_in: dict[int, str] = {}
        """delivery id -> the chat key its announcement is held under."""

    async def ping(self) -> None:
        return None

    async def check_writable(self, now: dt.datetime) -> None:
        return None

    async def close(self) -> None:
        return None

    # --- subscriptions ---

    def _record(self, new: NewSubscription, sub_id: int) -> SubscriptionRecord:
        return SubscriptionRecord(
            id=sub_id,
            chat=new.chat,
            deadline_id=new.deadline_id,
            local_time=new.local_time.replace(second=0, microsecond=0, tzinfo=None),
            timezone=new.timezone,
            lang=new.lang,
            created_by=new.created_by,
            created_at=utc(new.created_at),
            active=True,
            paused=False,
            inactive_reason=None,
            next_due_at=_utc_or_none(new.next_due_at),
            modes=frozenset(new.modes),
        )

    def _same(self, rec: SubscriptionRecord) -> SubscriptionRecord | None:
        key = _identity(rec)
        return next((s for s in self._subs.values() if _identity(s) == key), None)

    async def add_subscription(self, new: NewSubscription) -> SubscriptionRecord:
        candidate = self._record(new, 0)
        same = self._same(candidate)
        if same is not None and same.active:
            raise DuplicateSubscriptionError(same.id)
        rec = dataclasses.replace(candidate, id=same.id if same is not None else self._new_id("subscriptions"))
        self._subs[rec.id] = rec
        return rec

    async def bulk_add_subscriptions(self, news: Sequence[NewSubscription]) -> int:
        records = [self._record(new, 0) for new in news]
        keys = [_identity(r) for r in records]
        if len(set(keys)) != len(keys) or any(self._same(r) is not None for r in records):
            raise ValueError("duplicate subscription in a bulk insert")
        for rec in records:
            sub_id = self._new_id("subscriptions")
            self._subs[sub_id] = dataclasses.replace(rec, id=sub_id)
        return len(records)

    async def list_subscriptions(self, chat: ChatRef, *, include_inactive: bool = False) -> list[SubscriptionRecord]:
        place = _place(chat)
        return [s for _, s in sorted(self._subs.items()) if _place(s.chat) == place and (include_inactive or s.active)]

    async def get_subscription(self, subscription_id: int) -> SubscriptionRecord | None:
        return self._subs.get(subscription_id)

    async def set_modes(self, subscription_id: int, modes: frozenset[Mode]) -> SubscriptionRecord | None:
        sub = self._subs.get(subscription_id)
        if sub is None:
            return None
        self._subs[sub.id] = dataclasses.replace(sub, modes=frozenset(modes))
        return self._subs[sub.id]

    def _delete(self, sub_id: int) -> None:
        del self._subs[sub_id]
        for d_id in [d.id for d in self._deliveries.values() if d.subscription_id == sub_id]:
            self._drop_delivery(d_id)

    def _drop_delivery(self, delivery_id: int) -> None:
        gone = self._deliveries.pop(delivery_id)
        del self._delivery_keys[(gone.subscription_id, gone.local_date)]
        if gone.announcement_id is not None:
            del self._announcement_keys[(gone.subscription_id, gone.announcement_id)]
            del self._chat_announcements[(self._announced_in.pop(delivery_id), gone.announcement_id)]

    async def delete_subscriptions(self, ids: Sequence[int]) -> int:
        present = {i for i in ids if i in self._subs}
        for sub_id in present:
            self._delete(sub_id)
        return len(present)

    async def deactivate_chat(self, platform: Platform, chat_id: str, reason: str) -> int:
        hit = [s for s in self._subs.values() if s.chat.platform is platform and s.chat.chat_id == chat_id and s.active]
        for s in hit:
            self._subs[s.id] = dataclasses.replace(
                s, active=False, next_due_at=None, inactive_reason=reason[:_REASON_MAX]
            )
        return len(hit)

    async def migrate_chat(self, platform: Platform, old_chat_id: str, new_chat_id: str) -> int:
        moved = 0
        for s in [s for _, s in sorted(self._subs.items()) if s.chat.platform is platform]:
            if s.chat.chat_id != old_chat_id:
                continue
            there = dataclasses.replace(s, chat=dataclasses.replace(s.chat, chat_id=new_chat_id))
            if self._same(there) is not None:
                self._delete(s.id)
                continue
            self._subs[s.id] = there
            moved += 1
        return moved

    async def subscription_counts(self) -> dict[str, int]:
        counts = {"active": 0, "paused": 0, "inactive": 0}
        for s in self._subs.values():
            counts["inactive" if not s.active else "paused" if s.paused else "active"] += 1
        return counts

    # --- outbox ---

    async def due_subscriptions(
        self, now: dt.datetime, platforms: Sequence[Platform], limit: int
    ) -> list[SubscriptionRecord]:
        due = [
            s
            for s in self._subs.values()
            if s.next_due_at is not None
            and s.next_due_at <= now
            and s.chat.platform in platforms
            and s.active
            and not s.paused
        ]
        due.sort(key=lambda s: (s.next_due_at, s.id))
        return due[:limit]

    async def claim(
        self,
        claims: Sequence[Claim],
        advances: Sequence[Advance],
        *,
        owner: str,
        lease_until: dt.datetime,
        now: dt.datetime,
    ) -> dict[int, int]:
        won: dict[int, int] = {}
        for c in sorted(claims, key=lambda c: c.subscription_id):
            if c.subscription_id not in self._subs:
                raise ValueError(f"claim for unknown subscription {c.subscription_id}")
            key = (c.subscription_id, c.local_date)
            chat = chat_key(self._subs[c.subscription_id].chat)
            news = None if c.announcement_id is None else (c.subscription_id, c.announcement_id)
            in_chat = None if c.announcement_id is None else (chat, c.announcement_id)
            if key in self._delivery_keys or news in self._announcement_keys or in_chat in self._chat_announcements:
                continue
            d_id = self._new_id("deliveries")
            self._deliveries[d_id] = DeliveryRecord(
                id=d_id,
                subscription_id=c.subscription_id,
                local_date=c.local_date,
                due_at=utc(c.due_at),
                state=DeliveryState.CLAIMED,
                attempts=0,
                claimed_by=owner,
                lease_until=utc(lease_until),
                claimed_at=utc(now),
                finished_at=None,
                detail=None,
                announcement_id=c.announcement_id,
            )
            self._delivery_keys[key] = d_id
            if news is not None and in_chat is not None:
                self._announcement_keys[news] = d_id
                self._chat_announcements[in_chat] = d_id
                self._announced_in[d_id] = chat
            won[c.subscription_id] = d_id
        for a in advances:
            sub = self._subs.get(a.subscription_id)
            if sub is not None and sub.next_due_at == a.expected:
                self._subs[sub.id] = dataclasses.replace(sub, next_due_at=utc(a.next_due_at))
        return won

    def _claimed(self, d: DeliveryRecord) -> ClaimedDelivery:
        sub = self._subs[d.subscription_id]
        return ClaimedDelivery(d.id, sub, d.local_date, d.due_at, d.attempts, d.announcement_id)

    async def announced(self, subscription_ids: Sequence[int], announcement_ids: Sequence[str]) -> set[tuple[int, str]]:
        chats = {s: chat_key(self._subs[s].chat) for s in set(subscription_ids) if s in self._subs}
        held = self._chat_announcements
        return {(s, ann) for s, chat in chats.items() for ann in announcement_ids if (chat, ann) in held}

    def _held(self, ids: Sequence[int], owner: str) -> list[DeliveryRecord]:
        rows = (self._deliveries.get(i) for i in set(ids))
        return [d for d in rows if d is not None and d.state is DeliveryState.CLAIMED and d.claimed_by == owner]

    async def reclaim_expired(
        self,
        now: dt.datetime,
        *,
        owner: str,
        lease_until: dt.datetime,
        platforms: Sequence[Platform],
        limit: int,
    ) -> list[ClaimedDelivery]:
        expired = [
            d
            for _, d in sorted(self._deliveries.items())
            if d.state is DeliveryState.CLAIMED
            and d.lease_until is not None
            and d.lease_until < now
            and self._subs[d.subscription_id].chat.platform in platforms
        ][:limit]
        taken = []
        for d in expired:
            row = dataclasses.replace(d, claimed_by=owner, lease_until=utc(lease_until))
            self._deliveries[d.id] = row
            taken.append(self._claimed(row))
        return taken

    async def renew_leases(self, owner: str, ids: Sequence[int], lease_until: dt.datetime) -> int:
        held = self._held(ids, owner)
        for d in held:
            self._deliveries[d.id] = dataclasses.replace(d, lease_until=utc(lease_until))
        return len(held)

    async def release_leases(self, owner: str, ids: Sequence[int], now: dt.datetime) -> int:
        held = self._held(ids, owner)
        for d in held:
            self._deliveries[d.id] = dataclasses.replace(d, lease_until=utc(now) - dt.timedelta(seconds=1))
        return len(held)

    async def expire_leases(self, now: dt.datetime) -> int:
        live = [
            d
            for d in self._deliveries.values()
            if d.state is DeliveryState.CLAIMED and d.lease_until is not None and d.lease_until >= now
        ]
        for d in live:
            self._deliveries[d.id] = dataclasses.replace(d, lease_until=utc(now) - dt.timedelta(seconds=1))
        return len(live)

    async def record_outcomes(self, outcomes: Sequence[Outcome]) -> None:
        for o in outcomes:
            d = self._deliveries.get(o.delivery_id)
            if d is None or d.state is DeliveryState.SENT:
                continue
            self._deliveries[d.id] = dataclasses.replace(
                d,
                state=o.state,
                attempts=o.attempts,
                finished_at=utc(o.finished_at),
                detail=(o.detail or None) and o.detail[:_DETAIL_MAX],
                lease_until=None,
            )

    async def delivery_states(self) -> dict[str, int]:
        return dict(Counter(d.state.value for d in self._deliveries.values()))

    async def deliveries_of(self, subscription_id: int) -> list[DeliveryRecord]:
        rows = [d for d in self._deliveries.values() if d.subscription_id == subscription_id]
        return sorted(rows, key=lambda d: d.local_date)

    async def prune_deliveries(self, before: dt.date) -> int:
        old = [d for d in self._deliveries.values() if d.local_date < before and d.state is not DeliveryState.CLAIMED]
        for d in old:
            self._drop_delivery(d.id)
        return len(old)
