"""Discord's own touches: times as Discord timestamps (each reader sees them in their own zone) beside the
zone's name, in subscription confirmations, /subscriptions and /countdown; slash command names in Chinese."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from bot.adapters.discord_bot import DiscordAdapter
from bot.adapters.discord_bot.render import discord_time
from bot.context import BotContext
from tests.adapters.discord_bot.test_interactions import CHANNEL, MANAGER, _embed_text
from tests.fakes.discord_api import ALL_TEXT_PERMS, FakeDiscord
from tests.fakes.ports import MemoryServices

STAMPS = re.compile(r"<t:(\d+):F> \(<t:\1:R>\)")
"""Absolute and relative, of the same moment."""


def stamps(text: str) -> list[int]:
    return [int(unix) for unix in STAMPS.findall(text)]


async def test_a_subscription_confirmation_shows_its_first_post_as_a_discord_timestamp(
    adapter: DiscordAdapter, fake: FakeDiscord, ctx: BotContext
) -> None:
    await fake.dispatch(
        "INTERACTION_CREATE",
        fake.slash("subscribe", {"time": "09:00", "timezone": "Europe/Paris"}, permissions=MANAGER),
    )
    (edit,) = await fake.wait_kind("edit_original")
    text = _embed_text(edit.body)
    (view,) = await ctx.subscriptions_of(CHANNEL)
    first = int(view.next_posts[0].timestamp())
    assert "at 09:00 (Europe/Paris). First post: " in text  # the zone's name beside the timestamps
    assert f"First post: <t:{first}:F> (<t:{first}:R>)." in text


async def test_subscriptions_list_their_next_posts_as_discord_timestamps(
    adapter: DiscordAdapter, fake: FakeDiscord, services: MemoryServices, ctx: BotContext
) -> None:
    await services.subscriptions.subscribe(CHANNEL, created_by="admin", lang="en", time_text="07:30", tz_text="UTC")
    await fake.dispatch("INTERACTION_CREATE", fake.slash("subscriptions", {}, locale="zh-CN"))
    (edit,) = await fake.wait_kind("edit_original")
    text = _embed_text(edit.body)
    (view,) = await ctx.subscriptions_of(CHANNEL)
    assert "时间 07:30（UTC）" in text
    assert f"<t:{int(view.next_posts[0].timestamp())}:F>（<t:" in text
    assert len(re.findall(r"<t:\d+:F>（<t:\d+:R>）", text)) == len(view.next_posts) == 3


async def test_countdown_shows_the_deadline_as_a_discord_timestamp_beside_the_zone(
    adapter: DiscordAdapter, fake: FakeDiscord, ctx: BotContext
) -> None:
    kb = ctx.knowledge.kb
    moment = int(kb.deadlines[kb.primary_deadline].at.timestamp())
    await fake.dispatch(
        "INTERACTION_CREATE", fake.slash("countdown", {"timezone": "Asia/Tokyo"}, app_permissions=ALL_TEXT_PERMS)
    )
    (callback,) = await fake.wait_kind("callback")
    text = _embed_text(callback.body["data"])
    assert f"<t:{moment}:F> (<t:{moment}:R>) · days counted in Asia/Tokyo" in text
    assert stamps(text) == [moment]


def test_the_time_format_is_discords_own() -> None:
    moment = dt.datetime(2025, 1, 19, 5, 0, tzinfo=dt.UTC)
    assert discord_time(moment, "en") == "<t:1737262800:F> (<t:1737262800:R>)"
    assert discord_time(moment, "zh") == "<t:1737262800:F>（<t:1737262800:R>）"


def valid_command_name(name: str) -> bool:
    """Discord's rule for slash command names: ^[-_\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]{1,32}$, lowercase."""
    allowed = all(c in "-_" or unicodedata.category(c)[0] in "LN" or unicodedata.category(c) == "Mn" for c in name)
    return 1 <= len(name) <= 32 and allowed and name == name.lower()


async def test_slash_command_names_are_localized_for_chinese(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    (sync,) = fake.of_kind("commands")
    slash = {c["name"]: c for c in sync.body if c.get("type", 1) == 1}
    names = {name: command["name_localizations"].get("zh-CN") for name, command in slash.items()}
    assert names == {
        "ask": "提问",
        "countdown": "倒计时",
        "subscribe": "订阅",
        "unsubscribe": "取消订阅",
        "subscriptions": "订阅列表",
        "timeline": "时间线",
        "sources": "来源",
        "help": "帮助",
    }
    assert all(valid_command_name(name) for name in names.values())
    assert len(set(names.values())) == len(names)
    assert all(o["name"].isascii() for c in slash.values() for o in c.get("options", []))  # options stay English
    # Discord sends the English name with each use, whatever the reader's language.
    await fake.dispatch("INTERACTION_CREATE", fake.slash("help", {}, locale="zh-CN"))
    (callback,) = await fake.wait_kind("callback")
    assert "/ask" in _embed_text(callback.body["data"])


def test_the_name_rule_is_discords() -> None:
    assert valid_command_name("countdown") and valid_command_name("取消订阅") and valid_command_name("a-b_1")
    assert not valid_command_name("Countdown") and not valid_command_name("two words")
    assert not valid_command_name("") and not valid_command_name("x" * 33) and not valid_command_name("订阅!")
