"""The platform-neutral subscription service the adapters call (ports.Subscriptions)."""

from __future__ import annotations

import builtins
import datetime as dt
import logging
from collections.abc import Callable, Collection
from zoneinfo import ZoneInfo

from bot.core import messages as m
from bot.core.countdown import days_until, next_milestones
from bot.delivery.local_times import next_occurrence, next_posts, occurrence
from bot.delivery.modes import default_modes
from bot.delivery.parsing import parse_deadline, parse_time, parse_timezone
from bot.delivery.ports import SubscriptionView
from bot.errors import DuplicateSubscriptionError, SubscriptionError
from bot.knowledge.loader import KnowledgeBase
from bot.settings import Settings
from bot.storage.base import SubscriptionStore
from bot.storage.records import Mode, NewSubscription, SubscriptionRecord, encode_modes
from bot.types import ChatRef, Clock, Lang

log = logging.getLogger(__name__)


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

    def _passed(self, deadline_id: str, now: dt.datetime, tz: ZoneInfo) -> bool:
        kb = self._knowledge()
        deadline = kb.deadlines.get(deadline_id) or kb.deadlines[kb.primary_deadline]
        return days_until(deadline, now, tz) <= 0

    def _upcoming(self, rec: SubscriptionRecord, now: dt.datetime, tz: ZoneInfo) -> tuple[dt.datetime, ...]:
        """The next three post times: daily ones, else milestone days' (news comes when it comes)."""
        if rec.paused or not rec.active:
            return ()
        if Mode.DAILY in rec.modes:
            return next_posts(now, rec.local_time, tz, 3)
        if Mode.MILESTONES not in rec.modes:
            return ()
        kb = self._knowledge()
        deadline = kb.deadlines.get(rec.deadline_id) or kb.deadlines[kb.primary_deadline]
        first_day = next_occurrence(now, rec.local_time, tz).local_date
        days = next_milestones(deadline, first_day - dt.timedelta(days=1), 3)
        return tuple(occurrence(day, rec.local_time, tz).at.astimezone(tz) for day in days)

    def view(self, rec: SubscriptionRecord, now: dt.datetime | None = None) -> SubscriptionView:
        tz = ZoneInfo(rec.timezone)
        now = now or self._clock()
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
            next_posts=self._upcoming(rec, now, tz),
            modes=rec.modes,
            passed=self._passed(rec.deadline_id, now, tz),
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
        modes: Collection[Mode] | None = None,
    ) -> SubscriptionView:
        kb = self._knowledge()
        local_time = (
            parse_time(time_text, lang) if time_text and time_text.strip() else self._settings.default_post_time
        )
        local_time = local_time.replace(second=0, microsecond=0, tzinfo=None)
        tz_name = parse_timezone(tz_text or self._settings.default_timezone, lang)
        deadline = parse_deadline(deadline_id, list(kb.deadlines), kb.primary_deadline, lang)
        existing = await self._store.list_subscriptions(chat)
        again = any((s.deadline_id, s.local_time, s.timezone) == (deadline, local_time, tz_name) for s in existing)
        if len(existing) >= self._settings.max_subscriptions_per_chat and not again:  # again: modes may change
            raise SubscriptionError(m.TOO_MANY_SUBSCRIPTIONS.get(lang, count=len(existing)))
        now = self._clock()
        chosen = frozenset(modes) if modes else default_modes(self._passed(deadline, now, ZoneInfo(tz_name)))
        new = NewSubscription(
            chat=chat,
            deadline_id=deadline,
            local_time=local_time,
            timezone=tz_name,
            lang=lang,
            created_by=created_by[:128],
            created_at=now,
            next_due_at=next_occurrence(now, local_time, ZoneInfo(tz_name)).at,
            modes=chosen,
        )
        try:
            rec = await self._store.add_subscription(new)
        except DuplicateSubscriptionError as dup:
            changed = await self._change_modes(dup.existing_id, frozenset(modes or ()), now)
            if changed is not None:
                return changed
            raise SubscriptionError(
                m.ALREADY_SUBSCRIBED.get(
                    lang,
                    deadline=kb.deadlines[deadline].title.get(lang),
                    time=local_time.strftime("%H:%M"),
                    tz=tz_name,
                    id=dup.existing_id,
                )
            ) from None
        log.info(
            "subscribed #%d: %s:%s %s at %s %s modes=%s",
            rec.id,
            chat.platform.value,
            chat.chat_id,
            deadline,
            local_time.strftime("%H:%M"),
            tz_name,
            encode_modes(rec.modes),
        )
        return self.view(rec, now)

    async def _change_modes(
        self, subscription_id: int, modes: frozenset[Mode], now: dt.datetime
    ) -> SubscriptionView | None:
        """The same subscription asked for again with other modes: change them (None when none were asked for,
        or they are the ones it has)."""
        current = await self._store.get_subscription(subscription_id)
        if not modes or current is None or current.modes == modes:
            return None
        rec = await self._store.set_modes(subscription_id, modes)
        if rec is None:
            return None
        log.info("subscription #%d: modes %s -> %s", rec.id, encode_modes(current.modes), encode_modes(rec.modes))
        return self.view(rec, now)

    async def _select(self, chat: ChatRef, subscription_id: int | None, lang: Lang) -> list[SubscriptionRecord]:
        subs = await self._store.list_subscriptions(chat)
        if subscription_id is None:
            return subs
        chosen = [s for s in subs if s.id == subscription_id]
        if not chosen:
            raise SubscriptionError(m.NO_SUCH_SUBSCRIPTION.get(lang, id=subscription_id))
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
