"""A question asked back ("did you mean") end to end with the real discord.py client: its choices are buttons
labelled with the suggested questions, and pressing one answers with that entry. The engine's reply is scripted
(tests/adapters/scripted.py): these tests are about what the surface does with it, not when the engine is unsure."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.adapters.discord_bot import DiscordAdapter
from bot.context import BotContext
from bot.core.models import Reply
from tests.adapters.discord_bot.conftest import GapLog, knowledge
from tests.adapters.scripted import ScriptedKnowledge, clarify_reply
from tests.fakes.discord_api import BOT_ID, CHANNEL_ID, USER_ID, FakeDiscord

EPHEMERAL = 64
CHOICES = (
    ("law-name", "What is the law that could ban TikTok called?"),
    ("law-court", "Did the Supreme Court uphold the TikTok law?"),
    ("law-deadline", "When was the TikTok deadline?"),
)


def _script(ctx: BotContext, replies: dict[str, Reply]) -> None:
    ctx.knowledge = ScriptedKnowledge(knowledge(), replies)  # type: ignore[assignment]


def _buttons(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c.get("label"), c["custom_id"]) for row in body.get("components", []) for c in row["components"]]


def _text(body: dict[str, Any]) -> str:
    return "\n".join((e.get("title") or "") + "\n" + (e.get("description") or "") for e in body.get("embeds", []))


async def test_ask_that_clarifies_shows_the_choices_as_buttons_and_a_press_answers(
    adapter: DiscordAdapter, fake: FakeDiscord, ctx: BotContext, gaps: GapLog, caplog: pytest.LogCaptureFixture
) -> None:
    _script(ctx, {"tiktok law": clarify_reply("en", *CHOICES)})
    with caplog.at_level(logging.INFO, logger="bot.context"):
        await fake.dispatch("INTERACTION_CREATE", fake.slash("ask", {"question": "tiktok law please"}))
        (callback,) = await fake.wait_kind("callback")
    data = callback.body["data"]
    assert callback.body["type"] == 4 and int(data["flags"]) & EPHEMERAL  # shown to the asker only
    assert _text(data).strip().startswith("I'm not sure what you're asking. Did you mean:")
    assert _buttons(data) == [(question, f"bb:q:en:{entry_id}") for entry_id, question in CHOICES]

    (logged,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("clarify:")]
    assert logged == (
        "clarify: platform=discord lang=en question='tiktok law please' offered=law-name,law-court,law-deadline"
    )
    assert str(USER_ID) not in logged
    await ctx.drain()
    assert gaps.gaps == [("tiktok law please", "en")]  # still kept for `banbot kb gaps`

    shown = fake.message(
        CHANNEL_ID, author=fake.bot_user(), embeds=data["embeds"], components=data["components"], flags=EPHEMERAL
    )
    await fake.dispatch("INTERACTION_CREATE", fake.button_click(shown, "bb:q:en:law-court"))
    (_, answer) = await fake.wait_kind("callback", 2)
    assert answer.body["type"] == 4
    text = _text(answer.body["data"])
    assert "The Supreme Court and the TikTok law" in text and "unanimously upheld the law" in text
    assert ("Helpful", "bb:fb:u:en:law-court") in _buttons(answer.body["data"])


async def test_a_mention_that_clarifies_in_chinese_offers_buttons_and_a_press_answers(
    adapter: DiscordAdapter, fake: FakeDiscord, ctx: BotContext
) -> None:
    choices = (("law-name", "要求出售TikTok的法律叫什么？"), ("law-court", "最高法院支持TikTok法律了吗？"))
    _script(ctx, {"TikTok怎么了": clarify_reply("zh", *choices)})
    question = fake.message(
        CHANNEL_ID, author=fake.user(USER_ID), content=f"<@{BOT_ID}> TikTok怎么了", mentions=[fake.bot_user()]
    )
    await fake.dispatch("MESSAGE_CREATE", question)
    (sent,) = await fake.wait_kind("channel_message")
    assert _text(sent.body).strip().startswith("我不太确定你想问什么。你是不是想问：")
    assert _buttons(sent.body) == [(q, f"bb:q:zh:{entry_id}") for entry_id, q in choices]

    shown = fake.message(
        CHANNEL_ID, author=fake.bot_user(), embeds=sent.body["embeds"], components=sent.body["components"]
    )
    await fake.dispatch("INTERACTION_CREATE", fake.button_click(shown, "bb:q:zh:law-name", locale="zh-CN"))
    (answer,) = await fake.wait_kind("callback")
    assert "保护美国人免受外国对手控制应用程序法" in _text(answer.body["data"])
