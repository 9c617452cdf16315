"""The platform-neutral subscription service the adapters call (ports.Subscriptions)."""

from __future__ import annotations

import builtins
import datetime as dt
import logging
from collections.abc import Callable
from zoneinfo import ZoneInfo

from bot.delivery.local_times import next_occurrence, next_posts
from bot.delivery.parsing import parse_deadline, parse_time, parse_timezone
from bot.delivery.ports import SubscriptionView
from bot.errors import DuplicateSubscriptionError, SubscriptionError
from bot.knowledge.loader import KnowledgeBase
from bot.settings import Settings
from bot.storage.base import SubscriptionStore
from bot.storage.records import NewSubscription, SubscriptionRecord
from bot.types import ChatRef, Clock, Lang

log = logging.getLogger(__name__)


def _msg(lang: Lang, en: str, zh: str) -> str:
    return zh if lang == "zh" else en


class SubscriptionService:
    """Subscribe, list, unsubscribe; follows chats that vanish or migrate."""

    def __init__(
        self,
        store: SubscriptionStore,
        knowledge_provider: Callable[[], KnowledgeBase],
        clock: Clock,
        settings: Settings,
    ) -> None:
        self._store = store
        self._knowledge = knowledge_provider
        self._clock = clock
        self._settings = settings

    # --- views ---

    def view(self, rec: SubscriptionRecord, now: dt.datetime | None = None) -> SubscriptionView:
        tz = ZoneInfo(rec.timezone)
        upcoming = () if rec.paused or not rec.active else next_posts(now or self._clock(), rec.local_time, tz, 3)
        return SubscriptionView(
            id=rec.id,
            chat=rec.chat,
            deadline_id=rec.deadline_id,
            local_time=rec.local_time,
            timezone=rec.timezone,
            lang=rec.lang,
            active=rec.active,
            paused=rec.paused,
            created_by=rec.created_by,
            next_posts=upcoming,
        )

    # --- ports.Subscriptions ---

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
        kb = self._knowledge()
        local_time = (
            parse_time(time_text, lang) if time_text and time_text.strip() else self._settings.default_post_time
        )
        local_time = local_time.replace(second=0, microsecond=0, tzinfo=None)
        tz_name = parse_timezone(tz_text or self._settings.default_timezone, lang)
        deadline = parse_deadline(deadline_id, list(kb.deadlines), kb.primary_deadline, lang)
        existing = await self._store.list_subscriptions(chat)
        if len(existing) >= self._settings.max_subscriptions_per_chat:
            raise SubscriptionError(
                _msg(
                    lang,
                    f"This chat already has {len(existing)} subscriptions, the most allowed. "
                    "Remove one with /unsubscribe <id> first.",
                    f"本聊天已有 {len(existing)} 个订阅，已达上限。请先用 /unsubscribe <编号> 取消一个。",
                )
            )
        now = self._clock()
        new = NewSubscription(
            chat=chat,
            deadline_id=deadline,
            local_time=local_time,
            timezone=tz_name,
            lang=lang,
            created_by=created_by[:128],
            created_at=now,
            next_due_at=next_occurrence(now, local_time, ZoneInfo(tz_name)).at,
        )
        try:
            rec = await self._store.add_subscription(new)
        except DuplicateSubscriptionError as dup:
            at, title = local_time.strftime("%H:%M"), kb.deadlines[deadline].title.get(lang)
            raise SubscriptionError(
                _msg(
                    lang,
                    f"This chat already gets the countdown to {title} at {at} ({tz_name}): "
                    f"subscription #{dup.existing_id}. Nothing changed.",
                    f"本聊天已订阅每天 {at}（{tz_name}）的{title}倒计时（#{dup.existing_id}），无需重复订阅。",
                )
            ) from None
        log.info(
            "subscribed #%d: %s:%s %s at %s %s",
            rec.id,
            chat.platform.value,
            chat.chat_id,
            deadline,
            local_time.strftime("%H:%M"),
            tz_name,
        )
        return self.view(rec, now)

    async def _select(self, chat: ChatRef, subscription_id: int | None, lang: Lang) -> list[SubscriptionRecord]:
        subs = await self._store.list_subscriptions(chat)
        if subscription_id is None:
            return subs
        chosen = [s for s in subs if s.id == subscription_id]
        if not chosen:
            raise SubscriptionError(
                _msg(
                    lang,
                    f"There is no subscription #{subscription_id} in this chat. Use /subscriptions to see the numbers.",
                    f"本聊天没有编号为 #{subscription_id} 的订阅。用 /subscriptions 查看编号。",
                )
            )
        return chosen

    async def unsubscribe(self, chat: ChatRef, *, lang: Lang, subscription_id: int | None = None) -> int:
        chosen = await self._select(chat, subscription_id, lang)
        removed = await self._store.delete_subscriptions([s.id for s in chosen])
        if removed:
            log.info("unsubscribed %d from %s:%s", removed, chat.platform.value, chat.chat_id)
        return removed

    async def list(self, chat: ChatRef) -> builtins.list[SubscriptionView]:
        now = self._clock()
        return [self.view(rec, now) for rec in await self._store.list_subscriptions(chat)]

    async def chat_gone(self, chat: ChatRef, reason: str) -> int:
        n = await self._store.deactivate_chat(chat.platform, chat.chat_id, reason)
        if n:
            log.warning(
                "chat %s:%s gone (%s): deactivated %d subscription(s)", chat.platform.value, chat.chat_id, reason, n
            )
        return n

    async def chat_migrated(self, chat: ChatRef, new_chat_id: str) -> int:
        n = await self._store.migrate_chat(chat.platform, chat.chat_id, new_chat_id)
        log.info(
            "chat %s:%s migrated to %s: moved %d subscription(s)", chat.platform.value, chat.chat_id, new_chat_id, n
        )
        return n
