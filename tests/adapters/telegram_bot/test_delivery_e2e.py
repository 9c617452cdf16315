"""Subscriptions and countdown posts end to end: the real SubscriptionService and DeliveryEngine on a
SQLite file, the real PTB application and sender, the fake Bot API server, and an injected clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.adapters.telegram_bot import TelegramAdapter
from bot.curation import CurationService
from bot.delivery.engine import DeliveryEngine
from bot.delivery.subscriptions import SubscriptionService
from bot.engine.holder import KnowledgeHolder
from bot.storage.base import Store
from bot.storage.sql import open_store
from bot.types import ChatRef, Platform
from tests.adapters.telegram_bot.conftest import FakeClock, StartAdapter, make_settings
from tests.fakes.telegram_api import FakeTelegramAPI, group_chat, message, my_chat_member, user

ADMIN, MEMBER = 601, 602
GROUP = -5001
POST_TIME = dt.datetime(2025, 1, 11, 9, 0, 30, tzinfo=dt.UTC)
COUNTDOWN = "8 days until the TikTok divest-or-ban law taking effect (January 19, 2025)."

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@dataclass
class Rig:
    api: FakeTelegramAPI
    adapter: TelegramAdapter
    service: SubscriptionService
    engine: DeliveryEngine
    store: Store
    clock: FakeClock

    async def subscribe_group(self) -> None:
        """An admin subscribes the group through Telegram: daily at 09:00 UTC."""
        self.api.admins[str(GROUP)] = {ADMIN}
        await self.api.inject(message(group_chat(GROUP), user(ADMIN), "/subscribe 09:00 UTC"))
        [sent] = await self.api.wait_for("sendMessage", chat_id=GROUP)
        assert "Subscribed" in sent.params["text"]
        self.api.calls.clear()

    async def active(self, chat_id: int | str) -> list[int]:
        subs = await self.store.list_subscriptions(ChatRef(Platform.TELEGRAM, str(chat_id)), include_inactive=True)
        return [s.id for s in subs if s.active]


@pytest.fixture
async def rig(
    tmp_path: Path, api: FakeTelegramAPI, start_adapter: StartAdapter, knowledge: KnowledgeHolder, clock: FakeClock
) -> AsyncIterator[Rig]:
    settings = make_settings(api, tick_seconds=0.05)
    store = await open_store(f"sqlite+aiosqlite:///{tmp_path / 'banbot.sqlite3'}")
    service = SubscriptionService(store, lambda: knowledge.kb, clock, settings)
    adapter = await start_adapter(subscriptions=service, feedback=CurationService(store, clock, settings))
    engine = DeliveryEngine(
        store, lambda: knowledge.kb, {Platform.TELEGRAM: adapter.sender}, clock, settings, sleep=clock.sleep
    )
    api.stamp = clock
    yield Rig(api, adapter, service, engine, store, clock)
    await engine.stop()
    await store.close()


async def test_member_refused_admin_accepted(rig: Rig) -> None:
    rig.api.admins[str(GROUP)] = {ADMIN}
    await rig.api.inject(message(group_chat(GROUP), user(MEMBER), "/subscribe 09:00 UTC"))
    [refused] = await rig.api.wait_for("sendMessage", chat_id=GROUP)
    assert "Only admins of this chat" in refused.params["text"]
    assert await rig.active(GROUP) == []
    await rig.api.inject(message(group_chat(GROUP), user(ADMIN), "/subscribe 09:00 UTC"))
    accepted = (await rig.api.wait_for("sendMessage", 2, chat_id=GROUP))[-1]
    assert "Subscribed (#1)" in accepted.params["text"] and "First post: Sat Jan 11 09:00" in accepted.params["text"]
    assert len(await rig.active(GROUP)) == 1


async def test_countdown_post_arrives_through_the_scheduler(rig: Rig) -> None:
    await rig.subscribe_group()
    rig.clock.now = POST_TIME
    await rig.engine.start()  # the APScheduler tick, every 0.05 s
    [post] = await rig.api.wait_for("sendMessage", chat_id=GROUP)
    assert COUNTDOWN in post.params["text"]
    assert post.params["parse_mode"] == "HTML"
    for _ in range(3):  # later ticks the same day post nothing
        await rig.engine.run_once()
    assert len(rig.api.calls_to("sendMessage", GROUP)) == 1


async def test_429_is_honoured_then_sent(rig: Rig) -> None:
    await rig.subscribe_group()
    rig.clock.now = POST_TIME
    rig.api.fail_next_send(GROUP, "429", retry_after=3)
    await rig.engine.run_once()
    first, second = rig.api.calls_to("sendMessage", GROUP)
    assert (second.at - first.at).total_seconds() >= 3
    assert COUNTDOWN in second.params["text"]
    assert len(await rig.active(GROUP)) == 1


async def test_403_deactivates_the_subscription(rig: Rig) -> None:
    await rig.subscribe_group()
    rig.clock.now = POST_TIME
    rig.api.fail_next_send(GROUP, "403")
    await rig.engine.run_once()
    assert len(rig.api.calls_to("sendMessage", GROUP)) == 1  # not retried
    assert await rig.active(GROUP) == []


async def test_migration_moves_the_subscription_and_resends(rig: Rig) -> None:
    await rig.subscribe_group()
    rig.clock.now = POST_TIME
    rig.api.fail_next_send(GROUP, "migrate", migrate_to=-1005001)
    await rig.engine.run_once()
    [post] = rig.api.calls_to("sendMessage", -1005001)
    assert COUNTDOWN in post.params["text"]
    assert await rig.active(GROUP) == []
    assert len(await rig.active(-1005001)) == 1


async def test_bot_removed_stops_posts(rig: Rig) -> None:
    await rig.subscribe_group()
    await rig.api.inject(my_chat_member(group_chat(GROUP), user(ADMIN), rig.api.bot_user, new="left"))
    await rig.api.idle(rig.adapter.app.update_queue)
    assert await rig.active(GROUP) == []
    rig.clock.now = POST_TIME
    await rig.engine.run_once()
    assert rig.api.calls_to("sendMessage", GROUP) == []
