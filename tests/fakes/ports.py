"""In-memory stand-ins for our own Subscriptions and FeedbackStore ports, shared by the adapter tests.

They keep state the tests inspect afterwards (no call-order assertions)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.models import Lang
from bot.delivery.ports import ChatRef, Platform, SubscriptionView
from bot.errors import SubscriptionError

NOW = dt.datetime(2025, 1, 10, 12, 0, tzinfo=dt.UTC)


@dataclass
class MemorySub:
    id: int
    chat: ChatRef
    local_time: dt.time
    timezone: str
    lang: Lang
    created_by: str
    active: bool = True
    deadline_id: str = "law-effective"


@dataclass
class MemorySubscriptions:
    """Implements ports.Subscriptions and ports.FeedbackStore in memory."""

    subs: list[MemorySub] = field(default_factory=list)
    votes: list[tuple[Platform, str, bool]] = field(default_factory=list)
    gone: list[tuple[ChatRef, str]] = field(default_factory=list)

    def _view(self, sub: MemorySub) -> SubscriptionView:
        return SubscriptionView(
            id=sub.id,
            chat=sub.chat,
            deadline_id=sub.deadline_id,
            local_time=sub.local_time,
            timezone=sub.timezone,
            lang=sub.lang,
            active=sub.active,
            paused=False,
            created_by=sub.created_by,
            next_posts=(
                dt.datetime.combine(NOW.date() + dt.timedelta(days=1), sub.local_time, ZoneInfo(sub.timezone)),
            ),
        )

    async def subscribe(
        self,
        chat: ChatRef,
        *,
        created_by: str,
        lang: Lang,
        time_text: str | None = None,
        tz_text: str | None = None,
        deadline_id: str | None = None,
    ) -> SubscriptionView:
        try:
            local = dt.time.fromisoformat(time_text) if time_text else dt.time(9, 0)
        except ValueError:
            raise SubscriptionError("Use HH:MM, e.g. 09:00.") from None
        try:
            ZoneInfo(tz_text or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            raise SubscriptionError(f"Unknown time zone: {tz_text}") from None
        sub = MemorySub(len(self.subs) + 1, chat, local, tz_text or "UTC", lang, created_by)
        self.subs.append(sub)
        return self._view(sub)

    async def unsubscribe(self, chat: ChatRef, *, lang: Lang, subscription_id: int | None = None) -> int:
        hit = [s for s in self.subs if s.chat.chat_id == chat.chat_id and s.active and subscription_id in (None, s.id)]
        if subscription_id is not None and not hit:
            raise SubscriptionError(f"There is no subscription #{subscription_id} in this chat.")
        for sub in hit:
            sub.active = False
        return len(hit)

    async def list(self, chat: ChatRef) -> list[SubscriptionView]:
        return [self._view(s) for s in self.subs if s.chat.chat_id == chat.chat_id]

    async def pause(self, chat: ChatRef, *, lang: Lang, subscription_id: int | None = None) -> int:
        return 0

    async def resume(self, chat: ChatRef, *, lang: Lang, subscription_id: int | None = None) -> int:
        return 0

    async def chat_gone(self, chat: ChatRef, reason: str) -> int:
        self.gone.append((chat, reason))
        return await self.unsubscribe(chat, lang="en")

    async def chat_migrated(self, chat: ChatRef, new_chat_id: str) -> int:
        moved = [s for s in self.subs if s.chat.chat_id == chat.chat_id]
        for sub in moved:
            sub.chat = replace(sub.chat, chat_id=new_chat_id)
        return len(moved)

    async def record_feedback(self, platform: Platform, entry_id: str, helpful: bool) -> None:
        self.votes.append((platform, entry_id, helpful))

    def active(self) -> list[MemorySub]:
        return [s for s in self.subs if s.active]
