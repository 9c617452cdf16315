"""The ports between delivery and the platforms. Adapters implement `Sender`; they call `Subscriptions`.

Nothing here imports a platform SDK or the database: adapters and the delivery engine meet on these types.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.core.models import Reply
from bot.storage.records import DAILY_ONLY, Mode
from bot.types import ChatRef, Lang, Platform


@dataclass(frozen=True, slots=True)
class Post:
    """One subscription post to send: a countdown or an announcement (bot.core.posts)."""

    chat: ChatRef
    reply: Reply
    key: str
    """Stable per (subscription, local date): senders use it as an idempotency key (Discord nonce)."""
    more_ref: str | None = None
    """For a "More" button: `bot.core.posts.post_more(kb, more_ref, now, tz, lang)` renders the whole post
    again (at most 65 characters: 'd:' or 'a:' and an id)."""


class SendStatus(StrEnum):
    SENT = "sent"
    RATE_LIMITED = "rate_limited"  # retry after `retry_after` seconds, for this chat only
    TRANSIENT = "transient"  # network trouble or a 5xx: retry with backoff
    GONE = "gone"  # permanent: bot removed or blocked, chat gone, no access: deactivate
    MIGRATED = "migrated"  # Telegram group became a supergroup: move to `new_chat_id` and resend
    FAILED = "failed"  # permanent for this post only (a malformed request): no retry, subscription stays


@dataclass(frozen=True, slots=True)
class SendResult:
    status: SendStatus
    retry_after: float | None = None
    new_chat_id: str | None = None
    detail: str = ""

    @classmethod
    def sent(cls) -> SendResult:
        return cls(SendStatus.SENT)


class Sender(Protocol):
    """Sends countdown posts to one platform. Must not raise for platform errors: classify them instead."""

    platform: Platform

    async def send(self, post: Post) -> SendResult: ...


@dataclass(frozen=True, slots=True)
class SubscriptionView:
    """A subscription as shown to users."""

    id: int
    chat: ChatRef
    deadline_id: str
    local_time: dt.time
    timezone: str
    lang: Lang
    active: bool
    paused: bool
    created_by: str
    next_posts: tuple[dt.datetime, ...]
    """The next three post times, in the subscription's time zone: every day's in `daily` mode, the milestone
    days' in `milestones` mode, none in `updates` mode alone (those come with news)."""
    modes: frozenset[Mode] = DAILY_ONLY
    passed: bool = False
    """The deadline's day has come (in the subscription's zone): posts are "about" it, no longer "to" it."""


class Subscriptions(Protocol):
    """What adapters call. Refusals raise SubscriptionError with a message in the caller's language."""

    async def subscribe(
        self,
        chat: ChatRef,
        *,
        created_by: str,
        lang: Lang,
        time_text: str | None = None,
        tz_text: str | None = None,
        deadline_id: str | None = None,
        modes: Collection[Mode] | None = None,
    ) -> SubscriptionView:
        """Subscribe the chat; `modes` None means the default (bot.delivery.modes.default_modes). Subscribing
        again with the same deadline, time and zone but other modes changes the existing subscription's."""
        ...

    async def unsubscribe(self, chat: ChatRef, *, lang: Lang, subscription_id: int | None = None) -> int:
        """Remove one subscription by id, or every one of the chat; returns how many were removed."""
        ...

    async def list(self, chat: ChatRef) -> list[SubscriptionView]: ...

    async def chat_gone(self, chat: ChatRef, reason: str) -> int:
        """The bot was removed from the chat: deactivate its subscriptions; returns how many."""
        ...

    async def chat_migrated(self, chat: ChatRef, new_chat_id: str) -> int:
        """A Telegram group became a supergroup: move its subscriptions; returns how many."""
        ...
