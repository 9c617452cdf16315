"""End to end with the real SubscriptionService and DeliveryEngine on a SQLite file: /subscribe through the
fake gateway, then a scheduled countdown post arriving in the channel with a nonce (injected clock)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import discord
import pytest

from bot.adapters.discord_bot import DiscordAdapter
from bot.adapters.discord_bot.sender import nonce_for
from bot.context import BotContext
from bot.curation import CurationService
from bot.delivery.engine import DeliveryEngine
from bot.delivery.subscriptions import SubscriptionService
from bot.settings import Settings
from bot.storage.base import Store
from bot.storage.sql import open_store
from bot.types import ChatRef, Platform
from tests.adapters.discord_bot.conftest import knowledge, make_settings, start_adapter
from tests.fakes.discord_api import CHANNEL_ID, FakeDiscord

MANAGER = discord.Permissions(manage_guild=True, view_channel=True, send_messages=True)
CHAT = ChatRef(Platform.DISCORD, str(CHANNEL_ID))


@dataclass
class MovableClock:
    now: dt.datetime

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class World:
    adapter: DiscordAdapter
    engine: DeliveryEngine
    service: SubscriptionService
    store: Store
    clock: MovableClock
    settings: Settings


@pytest.fixture
async def world(tmp_path: Path, fake: FakeDiscord) -> AsyncIterator[World]:
    settings = make_settings(tmp_path)
    clock = MovableClock(dt.datetime(2025, 1, 10, 8, 0, tzinfo=dt.UTC))
    store = await open_store(settings.database_url)
    holder = knowledge()
    service = SubscriptionService(store, lambda: holder.kb, clock, settings)
    ctx = BotContext(holder, service, CurationService(store, clock, settings), clock, settings)
    adapter = await start_adapter(settings, ctx, fake)
    engine = DeliveryEngine(store, lambda: holder.kb, {Platform.DISCORD: adapter.sender}, clock, settings)
    try:
        yield World(adapter, engine, service, store, clock, settings)
    finally:
        await adapter.stop()
        await store.close()


async def _subscribe(fake: FakeDiscord, permissions: discord.Permissions) -> None:
    await fake.dispatch(
        "INTERACTION_CREATE",
        fake.slash("subscribe", {"time": "09:00", "timezone": "UTC"}, permissions=permissions),
    )


async def test_subscribe_then_scheduled_post_arrives_with_nonce(world: World, fake: FakeDiscord) -> None:
    await _subscribe(fake, discord.Permissions(view_channel=True))
    await fake.wait_kind("callback")
    assert await world.service.list(CHAT) == []  # refused: no Manage Server

    await _subscribe(fake, MANAGER)
    (edit,) = await fake.wait_kind("edit_original")
    assert "Subscribed" in edit.body["embeds"][0]["description"]
    (sub,) = await world.service.list(CHAT)

    await world.engine.run_once()  # 08:00: nothing due yet
    assert fake.of_kind("channel_message") == []

    world.clock.now = dt.datetime(2025, 1, 10, 9, 0, 20, tzinfo=dt.UTC)
    await world.engine.run_once()
    (post,) = fake.of_kind("channel_message")
    assert post.match["channel"] == str(CHANNEL_ID)
    assert "9 days until" in post.body["embeds"][0]["description"]
    assert post.body["enforce_nonce"] is True and post.body["nonce"]
    assert post.body["allowed_mentions"]["parse"] == []

    await world.engine.run_once()  # the same minute again: no double post
    assert len(fake.of_kind("channel_message")) == 1
    assert sub.id


async def test_forbidden_channel_deactivates_the_subscription(world: World, fake: FakeDiscord) -> None:
    await _subscribe(fake, MANAGER)
    await fake.wait_kind("edit_original")
    fake.fail_next_channel_message(403, code=50001)
    world.clock.now = dt.datetime(2025, 1, 10, 9, 0, 20, tzinfo=dt.UTC)
    await world.engine.run_once()
    assert len(fake.of_kind("channel_message")) == 1  # tried once, not retried after a 403
    subs = await world.service.list(CHAT)
    assert all(not s.active for s in subs)

    world.clock.now = dt.datetime(2025, 1, 11, 9, 0, 20, tzinfo=dt.UTC)
    await world.engine.run_once()
    assert len(fake.of_kind("channel_message")) == 1  # nothing sent to a channel we lost


def test_nonce_is_stable() -> None:
    assert nonce_for("a") == nonce_for("a") != nonce_for("b")


async def test_a_post_after_the_date_leads_with_its_status_and_more_shows_it_all(
    world: World, fake: FakeDiscord
) -> None:
    world.clock.now = dt.datetime(2026, 1, 20, 8, 0, tzinfo=dt.UTC)  # a year after the law's day
    options = {"time": "09:00", "timezone": "UTC", "mode": "daily", "deadline": "law-effective"}
    await fake.dispatch("INTERACTION_CREATE", fake.slash("subscribe", options, permissions=MANAGER))
    (edit,) = await fake.wait_kind("edit_original")
    assert (
        "Subscribed (#1): daily posts about the TikTok divest-or-ban law taking effect, at 09:00 (UTC)."
        in (edit.body["embeds"][0]["description"])
    )
    world.clock.now = dt.datetime(2026, 1, 20, 9, 0, 20, tzinfo=dt.UTC)
    await world.engine.run_once()
    (post,) = fake.of_kind("channel_message")
    (embed,) = post.body["embeds"]
    assert embed["title"] == "TikTok divest-or-ban law taking effect"  # the heading, in sentence case
    assert embed["description"].startswith("366 days since the TikTok divest-or-ban law taking effect")
    assert "but was never enforced against TikTok" in embed["description"]
    assert "TikTok stayed available" not in embed["description"]  # the rest is behind "More"
    [[button]] = [row["components"] for row in post.body["components"]]
    assert button["label"] == "More" and button["custom_id"].startswith("bb:p:en:")

    message = fake.message(CHANNEL_ID, author=fake.bot_user(), embeds=[embed], components=post.body["components"])
    await fake.dispatch("INTERACTION_CREATE", fake.button_click(message, button["custom_id"]))
    callback = (await fake.wait_kind("callback", 2))[-1]
    assert callback.body["type"] == 6  # acknowledged: the post itself changes
    edited = (await fake.wait_kind("edit_original", 2))[-1]
    assert "TikTok stayed available in the US" in edited.body["embeds"][0]["description"]
    assert edited.body.get("components") == []  # nothing more to show


async def test_a_tap_on_a_post_that_is_gone_gets_a_notice(world: World, fake: FakeDiscord) -> None:
    custom_id = "bb:p:en:0123456789ab"  # no post of the knowledge has this key (removed, or forged)
    components = [{"type": 1, "components": [{"type": 2, "style": 1, "label": "More", "custom_id": custom_id}]}]
    message = fake.message(CHANNEL_ID, author=fake.bot_user(), embeds=[{"description": "x"}], components=components)
    await fake.dispatch("INTERACTION_CREATE", fake.button_click(message, custom_id))
    (notice,) = await fake.wait_kind("followup")
    assert notice.body["embeds"][0]["description"].startswith("That post is no longer available")


async def test_the_deadline_option_offers_titles_not_ids(world: World, fake: FakeDiscord) -> None:
    await fake.dispatch("INTERACTION_CREATE", fake.autocomplete("subscribe", "deadline", "law"))
    (callback,) = await fake.wait_kind("callback")
    assert callback.body["data"]["choices"] == [
        {"name": "TikTok divest-or-ban law taking effect", "value": "law-effective"}
    ]
