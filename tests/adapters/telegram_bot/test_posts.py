"""Subscription posts on Telegram end to end: modes on /subscribe, a post's lead with a "More" button, and
the tap that shows the whole post (the real SubscriptionService and DeliveryEngine on SQLite, the real PTB
application and sender, the fake Bot API server, an injected clock)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.telegram_bot import TelegramAdapter
from bot.adapters.telegram_bot.callbacks import CALLBACK_LIMIT
from bot.curation import CurationService
from bot.delivery.engine import DeliveryEngine
from bot.delivery.subscriptions import SubscriptionService
from bot.engine.holder import KnowledgeHolder
from bot.storage.base import Store
from bot.storage.sql import open_store
from bot.types import Platform
from tests.adapters.telegram_bot.conftest import FakeClock, StartAdapter, make_settings
from tests.fakes.telegram_api import Call, FakeTelegramAPI, callback_query, group_chat, message, user

ADMIN = 701
GROUP = -6001
ANNOUNCEMENT = "joint-venture-closing-was-announced-with-a-long-identifier-too2"

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@dataclass
class Rig:
    api: FakeTelegramAPI
    adapter: TelegramAdapter
    engine: DeliveryEngine
    clock: FakeClock

    async def say(self, text: str) -> str:
        """What the bot answers an admin's command in the group."""
        before = len(self.api.calls_to("sendMessage", GROUP))
        await self.api.inject(message(group_chat(GROUP), user(ADMIN), text))
        sent = await self.api.wait_for("sendMessage", before + 1, chat_id=GROUP)
        return str(sent[-1].params["text"])

    async def post_on(self, when: dt.datetime) -> Call:
        before = len(self.api.calls_to("sendMessage", GROUP))
        self.clock.now = when
        await self.engine.run_once()
        posts = self.api.calls_to("sendMessage", GROUP)
        assert len(posts) == before + 1
        return posts[-1]

    async def tap(self, post: Call, data: str | None = None, query_id: str = "cq1") -> None:
        button = data or more_button(post)["callback_data"]
        shown = {"message_id": 900, "date": 0, "chat": group_chat(GROUP), "from": self.api.bot_user, "text": "x"}
        await self.api.inject(callback_query(user(ADMIN), button, shown, query_id=query_id))


def more_button(post: Call) -> dict[str, Any]:
    [[button]] = post.params["reply_markup"]["inline_keyboard"]
    assert button["text"] == "More"
    return dict(button)


@pytest.fixture
async def rig(
    tmp_path: Path, api: FakeTelegramAPI, start_adapter: StartAdapter, knowledge: KnowledgeHolder, clock: FakeClock
) -> AsyncIterator[Rig]:
    settings = make_settings(api)
    store: Store = await open_store(f"sqlite+aiosqlite:///{tmp_path / 'banbot.sqlite3'}")
    service = SubscriptionService(store, lambda: knowledge.kb, clock, settings)
    adapter = await start_adapter(subscriptions=service, feedback=CurationService(store, clock, settings))
    engine = DeliveryEngine(
        store, lambda: knowledge.kb, {Platform.TELEGRAM: adapter.sender}, clock, settings, sleep=clock.sleep
    )
    api.admins[str(GROUP)] = {ADMIN}
    clock.now = dt.datetime(2026, 1, 20, 12, tzinfo=dt.UTC)  # a year after the law's day
    yield Rig(api, adapter, engine, clock)
    await engine.stop()
    await store.close()


async def test_modes_and_a_deadline_anywhere_and_the_listing_shows_them(rig: Rig) -> None:
    assert (await rig.say("/subscribe 09:00 UTC")).startswith(  # a past date: milestones and updates by default
        "Subscribed (#1): posts about the TikTok divest-or-ban law taking effect on milestone days, and news when "
        "there is some, at 09:00 (UTC). Next milestone:"
    )
    assert (await rig.say("/subscribe daily law-effective 10:00 UTC")).startswith(
        "Subscribed (#2): daily posts about the TikTok divest-or-ban law taking effect, at 10:00 (UTC)."
    )
    assert (await rig.say("/subscribe 09:00 UTC updates")).startswith("Changed (#1): now news posts")
    listing = await rig.say("/subscriptions")
    assert "#1 news posts when there is a new development" in listing and "[updates]" in listing
    assert "#2 daily posts about the TikTok divest-or-ban law taking effect, at 10:00 (UTC) [daily]" in listing
    assert "Unknown mode" not in await rig.say("/subscribe 11:00 UTC milestones+updates")
    assert "countdown to" not in listing


async def test_a_countdown_post_leads_with_its_status_and_more_shows_it_all(rig: Rig) -> None:
    await rig.say("/subscribe 09:00 UTC daily")
    post = await rig.post_on(dt.datetime(2026, 1, 21, 9, 0, 30, tzinfo=dt.UTC))
    text = str(post.params["text"])
    assert text.startswith("<b>TikTok divest-or-ban law taking effect</b>\n\n")  # the heading, sentence case
    assert "days since the TikTok divest-or-ban law taking effect (January 19, 2025)." in text
    assert "Status (checked November 20, 2026): The law took effect but was not enforced against TikTok." in text
    assert "Orders of the President" not in text  # the rest of the status is behind "More"
    assert text.count("• ") == 3 and "TikTok US joint venture deal closes" not in text  # at most three sources
    data = more_button(post)["callback_data"]
    assert data.startswith("p:en:") and len(data.encode()) <= CALLBACK_LIMIT

    await rig.tap(post)
    [edited] = await rig.api.wait_for("editMessageText")
    full = str(edited.params["text"])
    assert "Orders of the President paused enforcement." in full
    assert "TikTok US joint venture deal closes" in full  # every source
    assert edited.params.get("reply_markup") is None  # nothing more to show
    await rig.api.wait_for("answerCallbackQuery")


async def test_the_more_button_needs_nothing_but_the_knowledge_after_a_restart(rig: Rig) -> None:
    await rig.say("/subscribe 09:00 UTC daily")
    post = await rig.post_on(dt.datetime(2026, 1, 21, 9, 0, 30, tzinfo=dt.UTC))
    key = more_button(post)["callback_data"].split(":")[2]
    fresh = dataclasses.replace(rig.adapter.handlers.ctx)  # a new process remembers nothing of the post
    reply = await fresh.post_more(key, platform=Platform.TELEGRAM, lang="en", chat=None)
    assert reply is not None and "Orders of the President paused enforcement." in reply.text


async def test_an_announcement_with_a_long_id_has_a_working_more_button(rig: Rig) -> None:
    assert len(f"a:{ANNOUNCEMENT}".encode()) > CALLBACK_LIMIT  # the reference alone would not fit
    await rig.say("/subscribe 09:00 UTC updates")
    post = await rig.post_on(dt.datetime(2026, 1, 22, 9, 0, 30, tzinfo=dt.UTC))
    text = str(post.params["text"])
    assert text.startswith("<b>The joint venture closed</b>\n\nJanuary 22, 2026: TikTok's US joint venture closed")
    assert "ByteDance keeps a minority stake" not in text
    data = more_button(post)["callback_data"]
    assert len(data.encode()) <= CALLBACK_LIMIT

    await rig.tap(post)
    [edited] = await rig.api.wait_for("editMessageText")
    assert "The venture owns the US app; ByteDance keeps a minority stake." in edited.params["text"]


async def test_a_tap_on_a_post_that_is_gone_gets_a_notice(rig: Rig) -> None:
    await rig.say("/subscribe 09:00 UTC daily")
    post = await rig.post_on(dt.datetime(2026, 1, 21, 9, 0, 30, tzinfo=dt.UTC))
    await rig.tap(post, data="p:en:0123456789ab")  # no post of the knowledge has this key (removed, or forged)
    [answered] = await rig.api.wait_for("answerCallbackQuery")
    assert answered.params["text"].startswith("That post is no longer available")
    assert rig.api.calls_to("editMessageText") == []
