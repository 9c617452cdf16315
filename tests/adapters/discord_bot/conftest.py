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
from bot.engine.holder import KnowledgeHolder
from bot.settings import Settings
from tests.fakes.discord_api import TOKEN, FakeDiscord, running_fake
from tests.fakes.ports import MemoryServices

NOW = dt.datetime(2025, 1, 10, 12, 0, tzinfo=dt.UTC)


@functools.cache
def knowledge() -> KnowledgeHolder:
    return KnowledgeHolder(Path(__file__).parent / "knowledge")


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
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    """The fake Discord, and the settings an operator would use to point banbot at it (read by make_settings)."""
    async with running_fake() as server:
        monkeypatch.setenv("BANBOT_DISCORD_API_BASE_URL", server.api_url)
        monkeypatch.setenv("BANBOT_DISCORD_GATEWAY_URL", server.gateway_url)
        yield server


@pytest.fixture
def services() -> MemoryServices:
    return MemoryServices.build(lambda: knowledge().kb, lambda: NOW)


@pytest.fixture
def settings(tmp_path: Path, fake: FakeDiscord) -> Settings:
    return make_settings(tmp_path)  # after `fake`: its URLs are in the environment


class GapLog:
    """A GapRecorder that keeps what it is given (the real one stores it for `banbot kb gaps`)."""

    def __init__(self) -> None:
        self.gaps: list[tuple[str, Lang]] = []

    async def record_gap(self, text: str, lang: Lang, confidence: float, now: dt.datetime) -> None:
        self.gaps.append((text, lang))


@pytest.fixture
def gaps() -> GapLog:
    return GapLog()


def make_ctx(settings: Settings, services: MemoryServices, gaps: GapLog | None = None) -> BotContext:
    return BotContext(knowledge(), services.subscriptions, services.curation, lambda: NOW, settings, gaps=gaps)


@pytest.fixture
def ctx(settings: Settings, services: MemoryServices, gaps: GapLog) -> BotContext:
    return make_ctx(settings, services, gaps)


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
