"""What a subscription posts on one of its post days, by its modes: an announcement, a countdown, or nothing.

One post a day at most (the delivery row is unique per subscription and local date), so on a day with a
pending announcement the announcement is that day's post: it carries the day's count, and replaces the
daily or milestone countdown rather than following it.

An announcement goes to each chat with a subscription in `updates` mode once, however many such
subscriptions the chat has (the row is unique per subscription and announcement, and per chat and
announcement: the first of them to post takes it, the others post what they would have that day). It goes
on its first post day from the announcement's date to BANBOT_ANNOUNCEMENT_WINDOW_DAYS after it, and only when
it is dated on or after the day the subscription was created (in the subscription's zone): a new subscriber
never receives a backlog, and an announcement older than that window is never broadcast. Two pending at once
go out oldest first, one a day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.core.countdown import deadline_day, is_milestone
from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.schema import Announcement
from bot.storage.records import Mode, SubscriptionRecord, chat_key


@dataclass(frozen=True, slots=True)
class PostChoice:
    """A day's post: an announcement's, or a countdown's (announcement_id None)."""

    announcement_id: str | None = None


COUNTDOWN = PostChoice()


def recent_announcements(kb: KnowledgeBase, now: dt.datetime, window_days: int) -> list[Announcement]:
    """Announcements some subscription may still post around `now` (any zone's date is within a day of
    UTC's), oldest first: an announcement dated D goes out on post days D … D+`window_days`, never later."""
    today = now.astimezone(dt.UTC).date()
    first = today - dt.timedelta(days=window_days + 1)
    last = today + dt.timedelta(days=1)
    return [a for a in kb.announcements.values() if first <= a.date <= last]


class PostSelector:
    """Chooses each due subscription's post from the knowledge and the announcements already claimed in each
    subscription's chat (`announced`: by subscription id, as OutboxStore.announced answers), one tick's
    subscriptions in turn: an announcement chosen for one subscription is not chosen for another of its chat."""

    def __init__(
        self,
        kb: KnowledgeBase,
        recent: Sequence[Announcement],
        announced: Collection[tuple[int, str]],
        *,
        window_days: int,
    ) -> None:
        self._kb = kb
        self._recent = list(recent)
        self._announced = set(announced)
        self._window = dt.timedelta(days=window_days)
        self._chosen: set[tuple[str, str]] = set()
        """(chat key, announcement) chosen in this tick."""

    def choose(self, sub: SubscriptionRecord, local_date: dt.date) -> PostChoice | None:
        """The post of `sub` for its post day `local_date`, or None for a quiet day."""
        if Mode.UPDATES in sub.modes:
            pending = self._pending(sub, local_date)
            if pending is not None:
                self._chosen.add((chat_key(sub.chat), pending.id))
                return PostChoice(pending.id)
        if Mode.DAILY in sub.modes:
            return COUNTDOWN
        if Mode.MILESTONES in sub.modes:
            deadline = self._kb.deadlines.get(sub.deadline_id) or self._kb.deadlines[self._kb.primary_deadline]
            if is_milestone((local_date - deadline_day(deadline)).days):
                return COUNTDOWN
        return None

    def _pending(self, sub: SubscriptionRecord, local_date: dt.date) -> Announcement | None:
        created = sub.created_at.astimezone(ZoneInfo(sub.timezone)).date()
        chat = chat_key(sub.chat)
        for ann in self._recent:
            fresh = ann.date <= local_date <= ann.date + self._window
            done = (sub.id, ann.id) in self._announced or (chat, ann.id) in self._chosen
            if fresh and ann.date >= created and not done:
                return ann
        return None
