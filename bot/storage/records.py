"""Plain records passed in and out of the store (no SQLAlchemy types leak past bot.storage)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from bot.types import ChatRef, Lang


class Mode(StrEnum):
    """What a subscription posts, at its local time. A subscription holds a set of modes."""

    DAILY = "daily"  # a post every day
    MILESTONES = "milestones"  # the day itself, every 100 days, every 365 days (bot.core.countdown.is_milestone)
    UPDATES = "updates"  # a post when the knowledge records a new announcement


DAILY_ONLY: frozenset[Mode] = frozenset({Mode.DAILY})


def encode_modes(modes: frozenset[Mode]) -> str:
    """As stored: 'daily', 'milestones,updates' (sorted, comma-separated)."""
    return ",".join(sorted(m.value for m in modes))


def chat_key(chat: ChatRef) -> str:
    """Where posts go, as one string: 'telegram:-100123:' or 'discord:456:789' (a thread). An announcement is
    claimed at most once per chat key, whatever the number of subscriptions there."""
    return f"{chat.platform.value}:{chat.chat_id}:{chat.thread_id or ''}"


def decode_modes(stored: str) -> frozenset[Mode]:
    """The stored form read back; unknown names (a newer version's) are ignored, nothing at all reads as daily."""
    known = {m.value: m for m in Mode}
    modes = frozenset(known[name] for name in stored.split(",") if name in known)
    return modes or DAILY_ONLY


class DeliveryState(StrEnum):
    CLAIMED = "claimed"  # a process owns it until lease_until
    SENT = "sent"  # never sent again
    FAILED = "failed"  # gave up (attempts exhausted, chat gone)
    SKIPPED = "skipped"  # reclaimed too late, or the subscription went away meanwhile


@dataclass(frozen=True, slots=True)
class NewSubscription:
    chat: ChatRef
    deadline_id: str
    local_time: dt.time
    timezone: str
    lang: Lang
    created_by: str
    created_at: dt.datetime
    next_due_at: dt.datetime | None
    modes: frozenset[Mode] = DAILY_ONLY


@dataclass(frozen=True, slots=True)
class SubscriptionRecord:
    id: int
    chat: ChatRef
    deadline_id: str
    local_time: dt.time
    timezone: str
    lang: Lang
    created_by: str
    created_at: dt.datetime
    active: bool
    paused: bool
    inactive_reason: str | None
    next_due_at: dt.datetime | None
    modes: frozenset[Mode] = DAILY_ONLY


@dataclass(frozen=True, slots=True)
class Claim:
    """A post to claim: the delivery row for (subscription, local date), unique; with an announcement, also
    unique per (subscription, announcement) and per (chat, announcement): one announcement a chat."""

    subscription_id: int
    local_date: dt.date
    due_at: dt.datetime
    announcement_id: str | None = None


@dataclass(frozen=True, slots=True)
class Advance:
    """Move a subscription's next_due_at forward, only if nobody moved it since we read it."""

    subscription_id: int
    expected: dt.datetime
    next_due_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    """A delivery this process owns, with what it needs to render and send it."""

    id: int
    subscription: SubscriptionRecord
    local_date: dt.date
    due_at: dt.datetime
    attempts: int
    announcement_id: str | None = None
    """The announcement this post carries; None for a countdown post."""

    @property
    def key(self) -> str:
        """Idempotency key, at most 25 characters (a Discord nonce): stable per (subscription, date)."""
        return f"cd{self.subscription.id}-{self.local_date:%Y%m%d}"


@dataclass(frozen=True, slots=True)
class Outcome:
    delivery_id: int
    state: DeliveryState
    attempts: int
    finished_at: dt.datetime
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class FeedbackCount:
    entry_id: str
    helpful: int
    unhelpful: int


@dataclass(frozen=True, slots=True)
class Gap:
    """An unanswered or low-confidence question, grouped by normalised text."""

    text: str
    lang: str
    count: int
    min_confidence: float
    last_seen: dt.datetime


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """One delivery row, as the operators' and the tests' views of the outbox read it."""

    id: int
    subscription_id: int
    local_date: dt.date
    due_at: dt.datetime
    state: DeliveryState
    attempts: int
    claimed_by: str | None
    lease_until: dt.datetime | None
    claimed_at: dt.datetime
    finished_at: dt.datetime | None
    detail: str | None
    announcement_id: str | None = None
