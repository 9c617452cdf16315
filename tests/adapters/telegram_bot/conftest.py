"""Fixtures for the Telegram end-to-end tests: the fake Bot API server, the adapter, the real services over an
InMemoryStore."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.adapters.telegram_bot import TelegramAdapter
from bot.context import BotContext
from bot.core.models import Lang, Reply, ReplyKind, SourceRef, Suggestion
from bot.engine.holder import KnowledgeHolder
from bot.settings import Settings
from tests.adapters.scripted import ScriptedKnowledge
from tests.fakes.ports import MemoryServices
from tests.fakes.telegram_api import FakeTelegramAPI

TOKEN = "123456:TEST-TOKEN-abcdef"
BOT_USERNAME = "banbot_test"
NOW = dt.datetime(2025, 1, 10, 12, 0, tzinfo=dt.UTC)


class FakeClock:
    def __init__(self, now: dt.datetime = NOW) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> dt.datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Moves the clock forward instead of waiting (injected into the delivery engine)."""
        self.slept.append(seconds)
        self.now += dt.timedelta(seconds=max(0.0, seconds))
        await asyncio.sleep(0)


def answer_reply(entry_id: str, text: str, *, title: str = "Title", lang: Lang = "en", **extra: Any) -> Reply:
    defaults: dict[str, Any] = {
        "sources": (SourceRef("s1", "The ruling", "Supreme Court", "https://www.supremecourt.gov/x.pdf"),),
        "as_of": dt.date(2025, 1, 17),
        "suggestions": (Suggestion("law-name", "What is the law called?"), Suggestion("other", "What about RedNote?")),
    }
    defaults.update(extra)
    return Reply(
        kind=ReplyKind.ANSWER, text=text, lang=lang, title=title, entry_id=entry_id, confidence=0.9, **defaults
    )


SCRIPTED: dict[str, Reply] = {
    "when is the deadline": answer_reply(
        "deadline-date", "The law took effect on January 19, 2025.", title="The deadline"
    ),
    "截止日期": answer_reply("deadline-date", "该法于2025年1月19日生效。", title="截止日期", lang="zh"),
}


# --- fixtures ------------------------------------------------------------------------------------


KNOWLEDGE_DIR = Path(__file__).parent / "knowledge"
"""A tiny knowledge base of our own, so these tests do not move with the shipped content."""


@pytest.fixture(scope="session")
def knowledge() -> KnowledgeHolder:
    return KnowledgeHolder(KNOWLEDGE_DIR)


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramAPI]:
    server = FakeTelegramAPI(TOKEN, username=BOT_USERNAME)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def services(knowledge: KnowledgeHolder, clock: FakeClock) -> MemoryServices:
    return MemoryServices.build(lambda: knowledge.kb, clock)


@pytest.fixture
def scripted() -> dict[str, Reply]:
    """Tests may add replies here before starting the adapter."""
    return dict(SCRIPTED)


def make_settings(api: FakeTelegramAPI, **overrides: Any) -> Settings:
    return Settings(
        _env_file=None,
        telegram_token=SecretStr(TOKEN),
        telegram_api_base_url=api.base_url,
        knowledge_dir=KNOWLEDGE_DIR,
        **overrides,
    )


StartAdapter = Callable[..., Awaitable[TelegramAdapter]]
BuildAdapter = Callable[..., TelegramAdapter]


@pytest.fixture
async def build_adapter(
    api: FakeTelegramAPI,
    knowledge: KnowledgeHolder,
    clock: FakeClock,
    services: MemoryServices,
    scripted: dict[str, Reply],
) -> AsyncIterator[BuildAdapter]:
    """Builds the real adapter against the fake server (not started); stops it after the test."""
    built: list[TelegramAdapter] = []

    def build(subscriptions: Any = None, feedback: Any = None, **settings: Any) -> TelegramAdapter:
        ctx = BotContext(
            knowledge=ScriptedKnowledge(knowledge, scripted),  # type: ignore[arg-type]
            subscriptions=subscriptions or services.subscriptions,
            feedback=feedback or services.curation,
            clock=clock,
            settings=make_settings(api, **settings),
        )
        adapter = TelegramAdapter(ctx, poll_timeout=1)
        built.append(adapter)
        return adapter

    yield build
    for adapter in built:
        await adapter.stop()


@pytest.fixture
async def start_adapter(build_adapter: BuildAdapter) -> StartAdapter:
    """Builds and starts the real adapter against the fake server; stops it after the test."""

    async def start(subscriptions: Any = None, feedback: Any = None, **settings: Any) -> TelegramAdapter:
        adapter = build_adapter(subscriptions, feedback, **settings)
        await adapter.start()
        return adapter

    return start


@pytest.fixture
async def adapter(start_adapter: StartAdapter) -> TelegramAdapter:
    return await start_adapter()
