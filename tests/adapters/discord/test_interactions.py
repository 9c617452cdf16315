"""End to end: the real discord.py client against the fake gateway + REST server, driven by interactions."""

from __future__ import annotations

from pathlib import Path

import discord

from bot.adapters.discord_bot import DiscordAdapter
from bot.context import BotContext
from bot.types import ChatRef, Platform
from tests.adapters.discord.conftest import make_settings, start_adapter
from tests.fakes.discord_api import ALL_TEXT_PERMS, CHANNEL_ID, USER_ID, FakeDiscord
from tests.fakes.ports import MemoryServices

EPHEMERAL = 64
MANAGER = discord.Permissions(manage_guild=True, view_channel=True, send_messages=True)
MEMBER = discord.Permissions(view_channel=True, send_messages=True)
CHANNEL = ChatRef(Platform.DISCORD, str(CHANNEL_ID))


def _embed_text(body: dict) -> str:
    return "\n".join((e.get("title") or "") + "\n" + (e.get("description") or "") for e in body.get("embeds", []))


async def test_connects_with_minimal_intents_and_syncs_commands_once(
    adapter: DiscordAdapter, fake: FakeDiscord, tmp_path: Path, ctx: BotContext
) -> None:
    assert adapter.connected
    intents = discord.Intents._from_value(fake.identifies[0]["intents"])
    assert intents.guilds and intents.guild_messages and intents.dm_messages
    assert not intents.message_content and not intents.members and not intents.presences

    (sync,) = fake.of_kind("commands")
    by_name = {c["name"]: c for c in sync.body}
    assert set(by_name) == {
        "ask",
        "Ask banbot about this",
        "countdown",
        "subscribe",
        "unsubscribe",
        "subscriptions",
        "timeline",
        "sources",
        "help",
    }
    ask = by_name["ask"]
    assert ask["description_localizations"]["zh-CN"]
    assert ask["options"][0]["autocomplete"] is True
    assert ask["options"][0]["description_localizations"]["zh-CN"]
    assert sorted(ask["integration_types"]) == [0, 1]  # guild and user installs
    assert sorted(ask["contexts"]) == [0, 1, 2]
    assert by_name["Ask banbot about this"]["type"] == 3
    assert by_name["Ask banbot about this"]["name_localizations"]["zh-CN"]
    manage = str(discord.Permissions(manage_guild=True).value)
    assert str(by_name["subscribe"]["default_member_permissions"]) == manage
    assert str(by_name["unsubscribe"]["default_member_permissions"]) == manage
    tz_option = next(o for o in by_name["subscribe"]["options"] if o["name"] == "timezone")
    assert tz_option["autocomplete"] is True

    # A restart with the same command set does not sync again (the hash file says nothing changed).
    await adapter.stop()
    again = await start_adapter(adapter.settings, ctx, fake)
    try:
        assert len(fake.of_kind("commands")) == 1
    finally:
        await again.stop()


async def test_ask_answers_with_embed_sources_and_buttons(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    await fake.dispatch(
        "INTERACTION_CREATE", fake.slash("ask", {"question": "What is the law that could ban TikTok called? @everyone"})
    )
    (callback,) = await fake.wait_kind("callback")
    body = callback.body
    assert body["type"] == 4  # answered right away: no defer needed for a fast answer
    data = body["data"]
    assert not (int(data.get("flags") or 0) & EPHEMERAL)
    assert data["allowed_mentions"]["parse"] == []
    (embed,) = data["embeds"]
    assert embed["title"] == "The law behind the TikTok ban"
    assert "Protecting Americans from Foreign Adversary Controlled Applications Act" in embed["description"]
    assert "https://www.thompsonhinesmartrade.com/" in embed["fields"][0]["value"]
    assert embed["footer"]["text"].startswith("As of")
    custom_ids = [c["custom_id"] for row in data["components"] for c in row["components"]]
    assert "bb:fb:u:en:law-name" in custom_ids and "bb:fb:d:en:law-name" in custom_ids
    assert "bb:q:en:law-court" in custom_ids
    assert sum(cid.startswith("bb:q:") for cid in custom_ids) <= 3


async def test_ask_slow_answer_is_deferred_then_edited(fake: FakeDiscord, tmp_path: Path, ctx: BotContext) -> None:
    settings = make_settings(tmp_path, discord_defer_after_seconds=0.0)
    ctx.settings = settings
    adapter = await start_adapter(settings, ctx, fake)
    try:
        await fake.dispatch("INTERACTION_CREATE", fake.slash("ask", {"question": "Did the Supreme Court uphold it?"}))
        (callback,) = await fake.wait_kind("callback")
        assert callback.body["type"] == 5  # deferred ("thinking…") before the work
        (edit,) = await fake.wait_kind("edit_original")
        assert "Supreme Court" in _embed_text(edit.body)
        assert edit.body["allowed_mentions"]["parse"] == []
    finally:
        await adapter.stop()


async def test_unknown_question_is_ephemeral_did_you_mean(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    await fake.dispatch("INTERACTION_CREATE", fake.slash("ask", {"question": "best pizza recipe in naples"}))
    (callback,) = await fake.wait_kind("callback")
    data = callback.body["data"]
    assert int(data["flags"]) & EPHEMERAL
    custom_ids = [c["custom_id"] for row in data.get("components", []) for c in row["components"]]
    assert all(not cid.startswith("bb:fb:") for cid in custom_ids)


async def test_ask_in_chinese_answers_in_chinese(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    await fake.dispatch("INTERACTION_CREATE", fake.slash("ask", {"question": "要求出售TikTok的法律叫什么？"}))
    (callback,) = await fake.wait_kind("callback")
    embed = callback.body["data"]["embeds"][0]
    assert "保护美国人" in embed["description"]
    assert embed["footer"]["text"].startswith("截至")


async def test_ask_autocomplete_returns_at_most_25_choices(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    await fake.dispatch("INTERACTION_CREATE", fake.autocomplete("ask", "question", "supreme"))
    (callback,) = await fake.wait_kind("callback")
    assert callback.body["type"] == 8
    choices = callback.body["data"]["choices"]
    assert 0 < len(choices) <= 25
    assert any("Supreme Court" in c["name"] for c in choices)
    assert all(len(c["name"]) <= 100 and len(c["value"]) <= 100 for c in choices)


async def test_timezone_autocomplete(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    await fake.dispatch("INTERACTION_CREATE", fake.autocomplete("subscribe", "timezone", "new_y"))
    (callback,) = await fake.wait_kind("callback")
    choices = callback.body["data"]["choices"]
    assert {"name": "America/New_York", "value": "America/New_York"} in choices
    assert len(choices) <= 25


async def test_feedback_button_is_stored(adapter: DiscordAdapter, fake: FakeDiscord, services: MemoryServices) -> None:
    components = [
        {
            "type": 1,
            "components": [
                {"type": 2, "style": 3, "label": "Helpful", "custom_id": "bb:fb:u:en:law-name"},
                {"type": 2, "style": 4, "label": "Not helpful", "custom_id": "bb:fb:d:en:law-name"},
            ],
        }
    ]
    # A message from an earlier run: the buttons work without any view stored in this process.
    old = fake.message(CHANNEL_ID, author=fake.bot_user(), embeds=[{"description": "x"}], components=components)
    await fake.dispatch("INTERACTION_CREATE", fake.button_click(old, "bb:fb:d:en:law-name"))
    (callback,) = await fake.wait_kind("callback")
    assert int(callback.body["data"]["flags"]) & EPHEMERAL
    assert "Thanks" in _embed_text(callback.body["data"])
    assert await services.votes() == [("law-name", 0, 1)]
    await fake.dispatch("INTERACTION_CREATE", fake.button_click(old, "bb:fb:d:en:law-name"))  # the same user again
    await fake.wait_kind("callback", 2)
    await fake.dispatch("INTERACTION_CREATE", fake.button_click(old, "bb:fb:d:en:law-name", user_id=USER_ID + 1))
    await fake.wait_kind("callback", 3)
    assert await services.votes() == [("law-name", 0, 2)]  # one vote per user


async def test_suggestion_button_opens_the_entry(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    components = [
        {"type": 1, "components": [{"type": 2, "style": 2, "label": "Court?", "custom_id": "bb:q:zh:law-court"}]}
    ]
    old = fake.message(CHANNEL_ID, author=fake.bot_user(), embeds=[{"description": "x"}], components=components)
    await fake.dispatch("INTERACTION_CREATE", fake.button_click(old, "bb:q:zh:law-court"))
    (callback,) = await fake.wait_kind("callback")
    assert "最高法院" in _embed_text(callback.body["data"])


async def test_subscribe_refused_without_manage_guild(
    adapter: DiscordAdapter, fake: FakeDiscord, services: MemoryServices
) -> None:
    await fake.dispatch("INTERACTION_CREATE", fake.slash("subscribe", {"time": "08:00"}, permissions=MEMBER))
    (callback,) = await fake.wait_kind("callback")
    assert int(callback.body["data"]["flags"]) & EPHEMERAL
    assert "manage this server" in _embed_text(callback.body["data"])
    assert await services.subscriptions_of(CHANNEL) == []


async def test_subscribe_refused_when_bot_cannot_post(
    adapter: DiscordAdapter, fake: FakeDiscord, services: MemoryServices
) -> None:
    no_embeds = discord.Permissions(view_channel=True, send_messages=True)
    await fake.dispatch(
        "INTERACTION_CREATE", fake.slash("subscribe", {}, permissions=MANAGER, app_permissions=no_embeds)
    )
    (callback,) = await fake.wait_kind("callback")
    text = _embed_text(callback.body["data"])
    assert "Embed Links" in text and "Send Messages" not in text
    assert await services.subscriptions_of(CHANNEL) == []


async def test_subscribe_accepted_for_manager(
    adapter: DiscordAdapter, fake: FakeDiscord, services: MemoryServices
) -> None:
    await fake.dispatch(
        "INTERACTION_CREATE",
        fake.slash("subscribe", {"time": "08:30", "timezone": "Asia/Shanghai"}, permissions=MANAGER, locale="zh-CN"),
    )
    (callback,) = await fake.wait_kind("callback")
    assert callback.body["type"] == 5  # deferred before touching the database
    (edit,) = await fake.wait_kind("edit_original")
    assert "订阅成功" in _embed_text(edit.body)
    (sub,) = await services.subscriptions_of(CHANNEL)
    assert sub.chat.chat_id == str(CHANNEL_ID)
    assert (sub.local_time.isoformat(), sub.timezone, sub.lang) == ("08:30:00", "Asia/Shanghai", "zh")

    await fake.dispatch("INTERACTION_CREATE", fake.slash("unsubscribe", {}, permissions=MANAGER))
    await fake.wait_kind("edit_original", 2)
    assert await services.subscriptions_of(CHANNEL) == []


async def test_countdown_help_timeline_sources(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    for name in ("countdown", "help", "timeline", "sources"):
        await fake.dispatch("INTERACTION_CREATE", fake.slash(name, {}, app_permissions=ALL_TEXT_PERMS))
    callbacks = await fake.wait_kind("callback", 4)
    texts = [_embed_text(c.body["data"]) for c in callbacks]
    assert any("9 days until" in t for t in texts)  # the clock is injected: 2025-01-10
    assert all(c.body["data"]["allowed_mentions"]["parse"] == [] for c in callbacks)


async def test_message_context_menu_asks_about_the_message(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    target = fake.message(CHANNEL_ID, author=fake.user(1234, "poster"), content="Which act forces the sale of TikTok?")
    await fake.dispatch("INTERACTION_CREATE", fake.message_command("Ask banbot about this", target))
    (callback,) = await fake.wait_kind("callback")
    assert "Protecting Americans" in _embed_text(callback.body["data"])


async def test_user_installed_ask_in_a_dm(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    await fake.dispatch(
        "INTERACTION_CREATE",
        fake.slash("ask", {"question": "When was the TikTok deadline?"}, guild=False, channel_id=777),
    )
    (callback,) = await fake.wait_kind("callback")
    assert "January 19, 2025" in _embed_text(callback.body["data"])


async def test_error_handler_logs_and_replies_briefly(
    adapter: DiscordAdapter, fake: FakeDiscord, monkeypatch, caplog
) -> None:  # type: ignore[no-untyped-def]
    async def boom(interaction: discord.Interaction) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(adapter.handlers, "timeline", boom)
    await fake.dispatch("INTERACTION_CREATE", fake.slash("timeline", {}))
    (callback,) = await fake.wait_kind("callback")
    assert int(callback.body["data"]["flags"]) & EPHEMERAL
    assert "went wrong" in _embed_text(callback.body["data"])
    assert any("discord command failed" in r.getMessage() for r in caplog.records)


async def test_per_user_rate_limit(fake: FakeDiscord, tmp_path: Path, ctx: BotContext) -> None:
    settings = make_settings(tmp_path, user_rate_limit=1)
    ctx.settings = settings
    adapter = await start_adapter(settings, ctx, fake)
    try:
        for _ in range(2):
            await fake.dispatch("INTERACTION_CREATE", fake.slash("ask", {"question": "When was the TikTok deadline?"}))
        callbacks = await fake.wait_kind("callback", 2)
        texts = sorted(_embed_text(c.body["data"]) for c in callbacks)
        assert sum("January 19" in t for t in texts) == 1
        (refused,) = [c for c in callbacks if "faster" in _embed_text(c.body["data"])]
        assert int(refused.body["data"]["flags"]) & EPHEMERAL
    finally:
        await adapter.stop()


async def test_countdown_counts_in_the_channels_subscription_zone(
    adapter: DiscordAdapter, fake: FakeDiscord, services: MemoryServices
) -> None:
    # 2025-01-10 12:00 UTC is already January 11 in Kiritimati (UTC+14): one day fewer to go.
    await services.subscriptions.subscribe(CHANNEL, created_by="admin", lang="en", tz_text="Pacific/Kiritimati")
    await fake.dispatch("INTERACTION_CREATE", fake.slash("countdown", {}, app_permissions=ALL_TEXT_PERMS))
    (callback,) = await fake.wait_kind("callback")
    assert "8 days until" in _embed_text(callback.body["data"])
    await fake.dispatch(
        "INTERACTION_CREATE", fake.slash("countdown", {"timezone": "UTC"}, app_permissions=ALL_TEXT_PERMS)
    )
    (_, explicit) = await fake.wait_kind("callback", 2)
    assert "9 days until" in _embed_text(explicit.body["data"])


async def test_countdown_explains_a_zone_it_cannot_read(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    for zone in ("Europe", "x" * 300):
        await fake.dispatch(
            "INTERACTION_CREATE", fake.slash("countdown", {"timezone": zone}, app_permissions=ALL_TEXT_PERMS)
        )
    callbacks = await fake.wait_kind("callback", 2)
    texts = " | ".join(_embed_text(c.body["data"]) for c in callbacks)
    assert "“Europe” is a region, not a time zone: add a city" in texts
    assert "is too long for a time zone" in texts
    assert all(int(c.body["data"]["flags"]) & EPHEMERAL for c in callbacks)
