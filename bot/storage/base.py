"""The storage ports: what the services and the delivery engine need from a store, and nothing else.

Two implementations stand behind them, with the same semantics (one contract suite in tests/storage runs
over both): `bot.storage.sql.SqlStore` (SQLAlchemy over SQLite or PostgreSQL) and
`bot.storage.memory.InMemoryStore`. Records in and out are the plain dataclasses of `bot.storage.records`.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from collections.abc import Sequence
from typing import Protocol

from bot.storage.records import (
    Advance,
    Claim,
    ClaimedDelivery,
    DeliveryRecord,
    FeedbackCount,
    Gap,
    Mode,
    NewSubscription,
    Outcome,
    SubscriptionRecord,
)
from bot.types import ChatRef, Platform


def claim_owner_id() -> str:
    """Who holds a claim (`claimed_by`): host, process and a random part, unique per running engine."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class SubscriptionStore(Protocol):
    """Countdown subscriptions, unique per (chat, thread, deadline, local time, zone)."""

    async def add_subscription(self, new: NewSubscription) -> SubscriptionRecord:
        """Insert, or revive an identical inactive one; raise DuplicateSubscriptionError if it is live."""
        ...

    async def bulk_add_subscriptions(self, news: Sequence[NewSubscription]) -> int:
        """Insert many new subscriptions at once (imports, benchmarks); any duplicate fails the whole call."""
        ...

    async def list_subscriptions(self, chat: ChatRef, *, include_inactive: bool = False) -> list[SubscriptionRecord]:
        """The chat's subscriptions (this thread only), in id order."""
        ...

    async def get_subscription(self, subscription_id: int) -> SubscriptionRecord | None: ...

    async def set_modes(self, subscription_id: int, modes: frozenset[Mode]) -> SubscriptionRecord | None:
        """Change what a subscription posts; returns it as it is now, None when it does not exist."""
        ...

    async def delete_subscriptions(self, ids: Sequence[int]) -> int:
        """Delete, with their delivery rows; returns how many existed."""
        ...

    async def deactivate_chat(self, platform: Platform, chat_id: str, reason: str) -> int:
        """Every live subscription of the chat (all threads) goes inactive, with the reason kept."""
        ...

    async def migrate_chat(self, platform: Platform, old_chat_id: str, new_chat_id: str) -> int:
        """Move a chat's subscriptions to its new id; ones the new chat already has are dropped."""
        ...

    async def subscription_counts(self) -> dict[str, int]:
        """Subscriptions by state: active, paused, inactive (for metrics)."""
        ...


class OutboxStore(Protocol):
    """Delivery rows: one per (subscription, local date), and at most one per (subscription, announcement) and
    per (chat, announcement) (records.chat_key); claimed under a lease, then sent, failed or skipped."""

    async def due_subscriptions(
        self, now: dt.datetime, platforms: Sequence[Platform], limit: int
    ) -> list[SubscriptionRecord]:
        """Live subscriptions whose next post time has come, earliest first."""
        ...

    async def claim(
        self,
        claims: Sequence[Claim],
        advances: Sequence[Advance],
        *,
        owner: str,
        lease_until: dt.datetime,
        now: dt.datetime,
    ) -> dict[int, int]:
        """Insert delivery rows and advance next_due_at, atomically. Only one caller wins each row, and only
        one row of an announcement wins in each chat (the first in subscription order, within one call):
        returns {subscription_id: delivery_id} for the rows this call won. An advance applies only if
        next_due_at still holds the value it expects."""
        ...

    async def announced(self, subscription_ids: Sequence[int], announcement_ids: Sequence[str]) -> set[tuple[int, str]]:
        """Which of these (subscription, announcement) pairs already have a delivery row in the subscription's
        chat (its own, or another subscription's there), whatever its state."""
        ...

    async def reclaim_expired(
        self,
        now: dt.datetime,
        *,
        owner: str,
        lease_until: dt.datetime,
        platforms: Sequence[Platform],
        limit: int,
    ) -> list[ClaimedDelivery]:
        """Take over claimed rows whose lease ran out (their owner died), oldest first; one caller wins each."""
        ...

    async def renew_leases(self, owner: str, ids: Sequence[int], lease_until: dt.datetime) -> int:
        """Extend the lease of claims `owner` still holds; returns how many."""
        ...

    async def release_leases(self, owner: str, ids: Sequence[int], now: dt.datetime) -> int:
        """Let anyone take these claims of `owner` at once (a clean shutdown's unsent posts)."""
        ...

    async def expire_leases(self, now: dt.datetime) -> int:
        """Make every claim's lease run out now, so the next reclaim takes it (a single-process store at
        start: whoever held them is gone). Returns how many."""
        ...

    async def record_outcomes(self, outcomes: Sequence[Outcome]) -> None:
        """Record results in one transaction. A row recorded as sent stays sent whatever arrives later."""
        ...

    async def delivery_states(self) -> dict[str, int]:
        """Delivery rows by state."""
        ...

    async def deliveries_of(self, subscription_id: int) -> list[DeliveryRecord]:
        """A subscription's delivery rows, by local date."""
        ...

    async def prune_deliveries(self, before: dt.date) -> int:
        """Delete finished rows of local dates before `before` (claims in progress stay)."""
        ...


class CurationStore(Protocol):
    """What curators look at: 👍/👎 per entry and the log of unanswered questions. No user ids: a vote's
    voter is an opaque key (the service hashes the user's id into it)."""

    async def add_feedback(self, platform: Platform, entry_id: str, voter: str, helpful: bool, at: dt.datetime) -> None:
        """Record a vote: one per (platform, entry, voter), a later vote replacing the earlier one."""
        ...

    async def prune_feedback(self, before: dt.datetime) -> int:
        """Delete votes last cast before `before`; returns how many."""
        ...

    async def feedback_counts(self) -> list[FeedbackCount]:
        """👍/👎 per entry, most voted first."""
        ...

    async def add_gap(
        self,
        *,
        text: str,
        norm: str,
        lang: str,
        confidence: float,
        at: dt.datetime,
        keep_after: dt.datetime,
        max_rows: int,
    ) -> None:
        """Store one unanswered question, then drop rows older than `keep_after` and beyond `max_rows`."""
        ...

    async def top_gaps(self, limit: int, *, since: dt.datetime | None = None) -> list[Gap]:
        """The most asked unanswered questions, grouped by normalised text, each in its latest wording."""
        ...


class Store(SubscriptionStore, OutboxStore, CurationStore, Protocol):
    """A whole store, as the composition root opens it."""

    @property
    def shared(self) -> bool:
        """Whether several processes may use this store at once (PostgreSQL), or only one (SQLite, memory)."""
        ...

    async def ping(self) -> None:
        """Raise if the store cannot be read."""
        ...

    async def check_writable(self, now: dt.datetime) -> None:
        """Raise if the store cannot be written (a full disk still answers reads): the readiness probe."""
        ...

    async def close(self) -> None: ...
