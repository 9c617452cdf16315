"""End to end: the real discord.py client against the fake gateway + REST server, driven by interactions."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import discord

from bot.adapters.discord_bot import DiscordAdapter
from bot.context import BotContext
from bot.storage.memory import InMemoryStore
from bot.storage.records import SubscriptionRecord
from bot.types import ChatRef, Platform
from tests.adapters.discord_bot.conftest import NOW, GapLog, knowledge, make_ctx, make_settings, start_adapter
from tests.fakes.discord_api import ALL_TEXT_PERMS, CHANNEL_ID, USER_ID, FakeDiscord, Recorded
from tests.fakes.ports import MemoryServices

EPHEMERAL = 64
MANAGER = discord.Permissions(manage_guild=True, view_channel=True, send_messages=True)
MEMBER = discord.Permissions(view_channel=True, send_messages=True)
CHANNEL = ChatRef(Platform.DISCORD, str(CHANNEL_ID))


def _embed_text(body: dict) -> str:
    return "\n".join((e.get("title") or "") + "\n" + (e.get("description") or "") for e in body.get("embeds", []))


def _custom_ids(body: dict) -> list[str]:
    return [c["custom_id"] for row in body.get("components", []) for c in row["components"]]


def _old_message(fake: FakeDiscord, *custom_ids: str) -> dict:
    """A message from an earlier run carrying these buttons: they work without any view stored in this process."""
    buttons = [{"type": 2, "style": 2, "label": "x", "custom_id": cid} for cid in custom_ids]
    components = [{"type": 1, "components": buttons}]
    return fake.message(CHANNEL_ID, author=fake.bot_user(), embeds=[{"description": "x"}], components=components)


def _ephemeral(rec: Recorded) -> bool:
    data = rec.body.get("data", rec.body)
    return bool(int(data.get("flags") or 0) & EPHEMERAL)


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
    for name in ("subscribe", "unsubscribe", "subscriptions"):  # never offered where a user installed the app
        assert by_name[name]["integration_types"] == [0], name
        assert by_name[name]["contexts"] == [0], name
    which = by_name["unsubscribe"]["options"][0]
    assert (which["type"], which["autocomplete"]) == (3, True)  # a number or "all", with the channel's choices
    assert by_name["sources"]["options"][0]["name"] == "topic"

    # A restart with the same command set does not sync again (the hash file says nothing changed).
    await adapter.stop()
    again = await start_adapter(adapter.settings, ctx, fake)
    try:
        assert len(fake.of_kind("commands")) == 1
    finally:
        await again.stop()


async def test_ask_answers_with_the_short_answer_its_top_source_and_more(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
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
    assert embed["description"] == (
        "It is the Protecting Americans from Foreign Adversary Controlled Applications Act (PAFACA)."
    )
    (sources,) = embed["fields"]
    assert sources["value"].count("• ") == 1  # the best source only; the rest are behind "More"
    assert "https://www.thompsonhinesmartrade.com/" in sources["value"]
    assert sources["value"].endswith("— Thompson Hine SmartTrade")
    assert embed["footer"]["text"] == "As of April 24, 2024 · checked November 26, 2026"
    custom_ids = _custom_ids(data)
    assert custom_ids[0] == "bb:m:en:law-name"
    assert "bb:fb:u:en:law-name" in custom_ids and "bb:fb:d:en:law-name" in custom_ids
    assert "bb:q:en:law-court" in custom_ids
    assert sum(cid.startswith("bb:q:") for cid in custom_ids) <= 3


async def test_more_shows_the_full_answer_with_every_source_in_place(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    await fake.dispatch(
        "INTERACTION_CREATE", fake.button_click(_old_message(fake, "bb:m:en:law-name"), "bb:m:en:law-name")
    )
    (callback,) = await fake.wait_kind("callback")
    assert callback.body["type"] == 6  # acknowledged: the message itself changes
    (edit,) = await fake.wait_kind("edit_original")
    (embed,) = edit.body["embeds"]
    assert embed["description"].startswith("It is the Protecting Americans")
    assert "President Biden signed it on April 24, 2024." in embed["description"]
    assert embed["fields"][0]["value"].count("• ") == 2
    assert "wikisource.org" in embed["fields"][0]["value"]
    custom_ids = _custom_ids(edit.body)
    assert "bb:m:en:law-name" not in custom_ids and "bb:fb:u:en:law-name" in custom_ids


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


async def test_feedback_counts_once_per_user_and_entry_the_last_vote_winning(
    adapter: DiscordAdapter, fake: FakeDiscord, services: MemoryServices
) -> None:
    old = _old_message(fake, "bb:fb:u:en:law-name", "bb:fb:d:en:law-name")
    for count, vote in enumerate(("d", "d", "u"), start=1):  # one user taps 👎 twice, then changes their mind
        await fake.dispatch("INTERACTION_CREATE", fake.button_click(old, f"bb:fb:{vote}:en:law-name"))
        await fake.wait_kind("edit_original", count)
    callbacks = fake.of_kind("callback")
    assert all(c.body["type"] == 5 and _ephemeral(c) for c in callbacks)  # acknowledged first, only to the voter
    assert all("Thanks for the feedback" in _embed_text(e.body) for e in fake.of_kind("edit_original"))
    assert await services.votes() == [("law-name", 1, 0)]
    await fake.dispatch("INTERACTION_CREATE", fake.button_click(old, "bb:fb:d:en:law-name", user_id=USER_ID + 1))
    await fake.wait_kind("edit_original", 4)
    assert await services.votes() == [("law-name", 1, 1)]


async def test_forged_entry_ids_get_a_notice_and_store_nothing(
    adapter: DiscordAdapter, fake: FakeDiscord, services: MemoryServices
) -> None:
    for custom_id in ("bb:fb:u:en:no-such-entry", "bb:q:en:no-such-entry", "bb:m:en:no-such-entry"):
        await fake.dispatch("INTERACTION_CREATE", fake.button_click(_old_message(fake, custom_id), custom_id))
    await fake.idle(adapter.client)
    sent = fake.of_kind("edit_original") + fake.of_kind("followup") + fake.of_kind("callback")
    texts = [_embed_text(r.body.get("data", r.body)) for r in sent]
    assert sum("no longer available" in t for t in texts) == 3
    assert await services.votes() == []


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
    expected = "已订阅（#1）：每天发布TikTok“不剥离就禁用”法律生效倒计时，时间为 08:30（Asia/Shanghai）"
    assert expected in _embed_text(edit.body)
    (sub,) = await services.subscriptions_of(CHANNEL)
    assert sub.chat.chat_id == str(CHANNEL_ID)
    assert (sub.local_time.isoformat(), sub.timezone, sub.lang) == ("08:30:00", "Asia/Shanghai", "zh")

    await fake.dispatch("INTERACTION_CREATE", fake.slash("unsubscribe", {}, permissions=MANAGER))
    (_, done) = await fake.wait_kind("edit_original", 2)
    assert "Unsubscribed #1" in _embed_text(done.body) and "law taking effect" in _embed_text(done.body)
    assert await services.subscriptions_of(CHANNEL) == []


async def test_countdown_help_timeline_sources(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    for name in ("help", "timeline", "sources"):
        await fake.dispatch("INTERACTION_CREATE", fake.slash(name, {}, app_permissions=ALL_TEXT_PERMS))
    callbacks = await fake.wait_kind("callback", 3)
    await fake.dispatch("INTERACTION_CREATE", fake.slash("countdown", {}, app_permissions=ALL_TEXT_PERMS))
    (countdown,) = await fake.wait_kind("edit_original")  # deferred first: the channel's zone is in the database
    texts = [_embed_text(c.body["data"]) for c in callbacks]
    assert "9 days until" in _embed_text(countdown.body)  # the clock is injected: 2025-01-10
    assert any("Commands: /ask" in t for t in texts)
    assert all(c.body["data"]["allowed_mentions"]["parse"] == [] for c in callbacks)


async def test_sources_of_a_topic(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    await fake.dispatch("INTERACTION_CREATE", fake.slash("sources", {"topic": "what is the law called"}))
    (callback,) = await fake.wait_kind("callback")
    text = _embed_text(callback.body["data"])
    assert "All sources for “The law behind the TikTok ban”" in text
    assert "Thompson Hine SmartTrade" in text and "Wikisource" in text


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


async def test_per_user_rate_limit_tells_once_per_window(
    fake: FakeDiscord, tmp_path: Path, services: MemoryServices
) -> None:
    settings = make_settings(tmp_path, user_rate_limit=1)
    adapter = await start_adapter(settings, make_ctx(settings, services), fake)
    try:
        for _ in range(3):
            await fake.dispatch("INTERACTION_CREATE", fake.slash("ask", {"question": "When was the TikTok deadline?"}))
        await fake.idle(adapter.client)
        answered = [c for c in fake.of_kind("callback") if c.body["type"] == 4]
        texts = [_embed_text(c.body["data"]) for c in answered]
        assert sum("January 19" in t for t in texts) == 1
        (refused,) = [c for c in answered if "faster" in _embed_text(c.body["data"])]
        assert _ephemeral(refused)
        assert len(fake.of_kind("delete_original")) == 1  # the third: acknowledged without a word
    finally:
        await adapter.stop()


async def test_buttons_spend_the_allowance(fake: FakeDiscord, tmp_path: Path, services: MemoryServices) -> None:
    settings = make_settings(tmp_path, user_rate_limit=1)
    adapter = await start_adapter(settings, make_ctx(settings, services), fake)
    try:
        old = _old_message(fake, "bb:q:en:law-court")
        for _ in range(5):
            await fake.dispatch("INTERACTION_CREATE", fake.button_click(old, "bb:q:en:law-court"))
        await fake.idle(adapter.client)
        texts = [_embed_text(c.body.get("data") or {}) for c in fake.of_kind("callback")]
        assert sum("Supreme Court" in t for t in texts) == 1
        assert sum("faster" in t for t in texts) == 1
        assert sum(c.body["type"] == 6 for c in fake.of_kind("callback")) == 3  # quietly acknowledged
    finally:
        await adapter.stop()


async def test_countdown_counts_in_the_channels_subscription_zone(
    adapter: DiscordAdapter, fake: FakeDiscord, services: MemoryServices
) -> None:
    # 2025-01-10 12:00 UTC is already January 11 in Kiritimati (UTC+14): one day fewer to go.
    await services.subscriptions.subscribe(CHANNEL, created_by="admin", lang="en", tz_text="Pacific/Kiritimati")
    await fake.dispatch("INTERACTION_CREATE", fake.slash("countdown", {}, app_permissions=ALL_TEXT_PERMS))
    (edit,) = await fake.wait_kind("edit_original")
    assert "8 days until" in _embed_text(edit.body)
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


async def test_questions_it_could_not_answer_are_kept_for_curators(
    adapter: DiscordAdapter, fake: FakeDiscord, ctx: BotContext, gaps: GapLog
) -> None:
    await fake.dispatch("INTERACTION_CREATE", fake.slash("ask", {"question": "best pizza recipe in naples"}))
    await fake.wait_kind("callback")
    await ctx.drain()
    assert gaps.gaps == [("best pizza recipe in naples", "en")]


class SlowStorage(InMemoryStore):
    """A store whose subscriptions and votes are answered only when the test says so."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()

    async def list_subscriptions(self, chat: ChatRef, *, include_inactive: bool = False) -> list[SubscriptionRecord]:
        await self.release.wait()
        return await super().list_subscriptions(chat, include_inactive=include_inactive)

    async def add_feedback(self, platform: Platform, entry_id: str, voter: str, helpful: bool, at: dt.datetime) -> None:
        await self.release.wait()
        await super().add_feedback(platform, entry_id, voter, helpful, at)


async def test_countdown_and_votes_are_acknowledged_before_the_database_answers(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    storage = SlowStorage()
    slow = MemoryServices.build(lambda: knowledge().kb, lambda: NOW, storage)
    settings = make_settings(tmp_path)
    adapter = await start_adapter(settings, make_ctx(settings, slow), fake)
    try:
        await fake.dispatch("INTERACTION_CREATE", fake.slash("countdown", {}))
        old = _old_message(fake, "bb:fb:u:en:law-name")
        await fake.dispatch("INTERACTION_CREATE", fake.button_click(old, "bb:fb:u:en:law-name"))
        acknowledged = await fake.wait_kind("callback", 2)  # while the database is still busy
        assert [c.body["type"] for c in acknowledged] == [5, 5]
        assert fake.of_kind("edit_original") == []
        storage.release.set()
        edits = await fake.wait_kind("edit_original", 2)
        texts = " | ".join(_embed_text(e.body) for e in edits)
        assert "9 days until" in texts and "Thanks for the feedback" in texts
        assert await slow.votes() == [("law-name", 1, 0)]
    finally:
        await adapter.stop()


async def test_a_command_discord_still_shows_but_the_bot_no_longer_has(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    await fake.dispatch("INTERACTION_CREATE", fake.slash("countdwn", {}))
    (callback,) = await fake.wait_kind("callback")
    assert "I don't know the command /countdwn. Did you mean /countdown?" in _embed_text(callback.body["data"])
    assert _ephemeral(callback)


async def test_unsubscribe_removes_only_what_is_asked(
    adapter: DiscordAdapter, fake: FakeDiscord, services: MemoryServices
) -> None:
    chat = ChatRef(Platform.DISCORD, str(CHANNEL_ID))
    for at in ("08:00", "20:00"):
        await services.subscriptions.subscribe(chat, created_by="admin", lang="en", time_text=at)

    async def active() -> list[int]:
        return [s.id for s in await services.subscriptions_of(chat)]

    def replies() -> list[Recorded]:
        return [r for r in fake.requests if r.kind in ("edit_original", "followup")]

    async def unsubscribe(which: str | None) -> str:
        options = {"subscription": which} if which is not None else {}
        count = len(replies())
        await fake.dispatch("INTERACTION_CREATE", fake.slash("unsubscribe", options, permissions=MANAGER))
        await fake.wait_for(lambda: len(replies()) > count)
        await fake.idle(adapter.client)
        return _embed_text(replies()[-1].body)

    assert "Say which one to stop" in await unsubscribe(None)
    assert await active() == [1, 2]
    assert "“tomorrow” is not a subscription number" in await unsubscribe("tomorrow")
    assert await active() == [1, 2]
    assert "Unsubscribed #2" in await unsubscribe("#2")
    assert await active() == [1]
    await services.subscriptions.subscribe(chat, created_by="admin", lang="en", time_text="12:00")
    assert "2 subscription(s) removed" in await unsubscribe("all")
    assert await active() == []


async def test_subscribe_reads_its_options_like_every_surface(
    adapter: DiscordAdapter, fake: FakeDiscord, services: MemoryServices
) -> None:
    # A zone typed into the time option is still a zone (the one shared parser), as on Telegram and the console.
    await fake.dispatch("INTERACTION_CREATE", fake.slash("subscribe", {"time": "Europe/Paris"}, permissions=MANAGER))
    (edit,) = await fake.wait_kind("edit_original")
    text = _embed_text(edit.body)
    assert "Subscribed (#1): a daily countdown to the TikTok divest-or-ban law taking effect, at 09:00" in text
    assert "(Europe/Paris)" in text and "To stop: /unsubscribe 1." in text
    assert [s.timezone for s in await services.subscriptions_of(CHANNEL)] == ["Europe/Paris"]
