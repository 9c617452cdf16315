"""Fixtures for the Discord adapter's end-to-end tests: a fake Discord on 127.0.0.1 and a running adapter."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.adapters.discord_bot import DiscordAdapter
from bot.context import BotContext
from bot.core.models import Lang
from bot.delivery.ports import ChatRef, Platform, SubscriptionView
from bot.errors import SubscriptionError
from bot.knowledge.holder import KnowledgeHolder
from bot.settings import Settings
from tests.fakes.discord_api import TOKEN, FakeDiscord, running_fake

NOW = dt.datetime(2025, 1, 10, 12, 0, tzinfo=dt.UTC)


@functools.cache
def knowledge() -> KnowledgeHolder:
    return KnowledgeHolder(Path(__file__).parent / "knowledge")


class MemorySubscriptions:
    """An in-memory stand-in for the Subscriptions and FeedbackStore ports (no call-order assertions)."""

    def __init__(self) -> None:
        self.items: dict[int, SubscriptionView] = {}
        self.feedback: list[tuple[Platform, str, bool]] = []
        self.gone: list[tuple[ChatRef, str]] = []

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
            local = dt.time.fromisoformat(time_text or "09:00")
        except ValueError:
            raise SubscriptionError("bad time") from None
        view = SubscriptionView(
            id=len(self.items) + 1,
            chat=chat,
            deadline_id=deadline_id or "law-effective",
            local_time=local,
            timezone=tz_text or "UTC",
            lang=lang,
            active=True,
            paused=False,
            created_by=created_by,
            next_posts=(NOW + dt.timedelta(days=1),),
        )
        self.items[view.id] = view
        return view

    async def unsubscribe(self, chat: ChatRef, *, lang: Lang, subscription_id: int | None = None) -> int:
        ids = [i for i, v in self.items.items() if v.chat == chat and subscription_id in (None, i)]
        for i in ids:
            del self.items[i]
        return len(ids)

    async def list(self, chat: ChatRef) -> list[SubscriptionView]:
        return [v for v in self.items.values() if v.chat == chat]

    async def pause(self, chat: ChatRef, *, lang: Lang, subscription_id: int | None = None) -> int:
        return 0

    async def resume(self, chat: ChatRef, *, lang: Lang, subscription_id: int | None = None) -> int:
        return 0

    async def chat_gone(self, chat: ChatRef, reason: str) -> int:
        self.gone.append((chat, reason))
        return 1

    async def chat_migrated(self, chat: ChatRef, new_chat_id: str) -> int:
        return 0

    async def record_feedback(self, platform: Platform, entry_id: str, helpful: bool) -> None:
        self.feedback.append((platform, entry_id, helpful))


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "discord_token": SecretStr(TOKEN),
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'banbot.sqlite3'}",
        "discord_defer_after_seconds": 2.0,
        "discord_guild_ready_timeout": 0.2,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with running_fake() as server:
        yield server


@pytest.fixture
def store() -> MemorySubscriptions:
    return MemorySubscriptions()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def ctx(settings: Settings, store: MemorySubscriptions) -> BotContext:
    return BotContext(knowledge(), store, store, lambda: NOW, settings)  # type: ignore[arg-type]


async def start_adapter(settings: Settings, ctx: BotContext, fake: FakeDiscord) -> DiscordAdapter:
    adapter = DiscordAdapter(settings, ctx)
    await adapter.start()
    async with asyncio.timeout(10):
        await adapter.wait_until_ready()
    return adapter


@pytest.fixture
async def adapter(settings: Settings, ctx: BotContext, fake: FakeDiscord) -> AsyncIterator[DiscordAdapter]:
    started = await start_adapter(settings, ctx, fake)
    try:
        yield started
    finally:
        await started.stop()
