"""Test support for delivery: a small knowledge base, a fake clock, scriptable senders and a rig around the engine."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.delivery.engine import DeliveryEngine
from bot.delivery.ports import Post, SendResult
from bot.delivery.subscriptions import SubscriptionService
from bot.knowledge.loader import KnowledgeBase, load_knowledge
from bot.settings import Settings
from bot.storage.base import Store, SubscriptionStore
from bot.storage.records import DAILY_ONLY, Mode, NewSubscription
from bot.types import ChatRef, Platform
from tests.core import conftest as core_kb


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


JV_CLOSE = {
    "id": "jv-close",
    "title": {"en": "the joint venture closing", "zh": "合资公司交割"},
    "at": "2026-01-22T00:00:00-05:00",
    "status": {"en": "It closed.", "zh": "已完成。"},
    "sources": ["src-a"],
}


def announcement(ann_id: str, date: dt.date) -> dict[str, object]:
    """An announcement as a curator writes it in deadlines.yaml."""
    return {
        "id": ann_id,
        "date": date.isoformat(),
        "heading": {"en": "Court rules on the deal", "zh": "法院就交易作出裁决"},
        "text": {"en": "The court ruled.", "zh": "法院作出了裁决。"},
        "sources": ["src-a"],
    }


def write_kb(root: Path, announcements: list[dict[str, object]] | None = None) -> KnowledgeBase:
    """The core tests' small knowledge base plus a second deadline to subscribe to, and any announcements."""
    core_kb.write_kb(root, core_kb.SAMPLE_ENTRIES)
    data = yaml.safe_load((root / "deadlines.yaml").read_text(encoding="utf-8"))
    data["deadlines"].append(JV_CLOSE)
    if announcements:
        data["announcements"] = announcements
    (root / "deadlines.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_knowledge(root)


def make_settings(**overrides: object) -> Settings:
    return Settings(_env_file=None, **overrides)  # type: ignore[call-arg]


class FakeClock:
    """A clock tests move by hand; `sleep` moves it forward instead of waiting (never backwards)."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self.slept = 0.0

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float = 0, **kwargs: float) -> None:
        self.now += dt.timedelta(seconds=seconds, **kwargs)

    def set(self, now: dt.datetime) -> None:
        self.now = now

    async def sleep(self, seconds: float) -> None:
        target = self.now + dt.timedelta(seconds=max(0.0, seconds))
        self.slept += max(0.0, seconds)
        await asyncio.sleep(0)
        self.now = max(self.now, target)


@dataclass
class Sent:
    at: dt.datetime
    post: Post


@dataclass
class RecordingSender:
    """Records every attempt; `script` can return a different result per attempt for a chat."""

    platform: Platform
    clock: Callable[[], dt.datetime]
    script: dict[str, list[SendResult]] = field(default_factory=dict)
    attempts: list[Sent] = field(default_factory=list)
    delivered: list[Sent] = field(default_factory=list)

    async def send(self, post: Post) -> SendResult:
        self.attempts.append(Sent(self.clock(), post))
        queue = self.script.get(post.chat.chat_id)
        result = queue.pop(0) if queue else SendResult.sent()
        if result.status == "sent":
            self.delivered.append(Sent(self.clock(), post))
        return result

    def delivered_to(self, chat_id: str) -> list[Sent]:
        return [s for s in self.delivered if s.post.chat.chat_id == chat_id]


async def seed_subscriptions(
    store: SubscriptionStore,
    count: int,
    due_at: dt.datetime,
    *,
    prefix: str = "chat",
    modes: frozenset[Mode] = DAILY_ONLY,
) -> None:
    """Bulk-insert `count` live subscriptions at 09:00 UTC, one private chat each, all due at `due_at`, created
    the day before."""
    await store.bulk_add_subscriptions(
        [
            NewSubscription(
                chat=ChatRef(Platform.TELEGRAM, f"{prefix}{i}", None, is_group=False),
                deadline_id="law-effective",
                local_time=due_at.time().replace(second=0, microsecond=0),
                timezone="UTC",
                lang="en",
                created_by="seed",
                created_at=due_at - dt.timedelta(days=1),
                next_due_at=due_at,
                modes=modes,
            )
            for i in range(count)
        ]
    )


class Rig:
    def __init__(self, store: Store, kb: KnowledgeBase, clock: FakeClock, **settings: object) -> None:
        self.store, self.kb, self.clock = store, kb, clock
        self.settings = make_settings(**settings)
        self.service = SubscriptionService(store, lambda: self.kb, clock, self.settings)
        self.tg = RecordingSender(Platform.TELEGRAM, clock)
        self.dc = RecordingSender(Platform.DISCORD, clock)
        self.engine = self.make_engine()

    def make_engine(self, owner: str | None = None) -> DeliveryEngine:
        senders = {Platform.TELEGRAM: self.tg, Platform.DISCORD: self.dc}
        return DeliveryEngine(
            self.store, lambda: self.kb, senders, self.clock, self.settings, sleep=self.clock.sleep, owner=owner
        )

    async def sub(
        self,
        chat_id: str,
        at: str = "09:00",
        tz: str = "UTC",
        platform: Platform = Platform.TELEGRAM,
        modes: Collection[Mode] = (Mode.DAILY,),
    ) -> int:
        view = await self.service.subscribe(
            ChatRef(platform, chat_id), created_by="admin", lang="en", time_text=at, tz_text=tz, modes=modes
        )
        return view.id


class HangingSender:
    platform = Platform.TELEGRAM

    def __init__(self) -> None:
        self.started = 0

    async def send(self, post: Post) -> SendResult:
        self.started += 1
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


class OutageStore:
    """The real store behind a switch: from `fail_from()` until the clock reaches `until`, every call fails the
    way a lost database connection does, then storage is back with whatever was written before."""

    def __init__(self, inner: Store, clock: FakeClock) -> None:
        self._inner = inner
        self._clock = clock
        self.until: dt.datetime | None = None
        self.refused = 0

    def fail_for(self, seconds: float) -> None:
        self.until = self._clock() + dt.timedelta(seconds=seconds)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if not callable(attr):
            return attr

        async def call(*args: Any, **kwargs: Any) -> Any:
            if self.until is not None and self._clock() < self.until:
                self.refused += 1
                raise ConnectionError("connection to the database lost")
            return await attr(*args, **kwargs)

        return call
