"""A question asked back ("did you mean") end to end: its choices are buttons labelled with the suggested
questions, and tapping one answers with that entry. The engine's reply is scripted (tests/adapters/scripted.py):
these tests are about what the surface does with it, not about when the engine is unsure."""

from __future__ import annotations

import logging

import pytest

from bot.core.models import Reply
from tests.adapters.scripted import clarify_reply
from tests.adapters.telegram_bot.conftest import BOT_USERNAME, StartAdapter
from tests.fakes.telegram_api import (
    FakeTelegramAPI,
    callback_query,
    group_chat,
    inline_query,
    message,
    parse_html,
    private_chat,
    user,
)

ALICE = 1201
GROUP = -4201
LAW = ("law-name", "What is the law that could ban TikTok called?")
REDNOTE = ("rednote-what", "What is RedNote?")


def _buttons(markup: dict) -> list[tuple[str, str]]:
    return [(b["text"], b["callback_data"]) for row in markup["inline_keyboard"] for b in row]


async def test_a_clarify_offers_its_choices_as_buttons_and_a_tap_answers_with_that_entry(
    api: FakeTelegramAPI, start_adapter: StartAdapter, scripted: dict[str, Reply], caplog: pytest.LogCaptureFixture
) -> None:
    scripted["tiktok law"] = clarify_reply("en", LAW, REDNOTE)
    adapter = await start_adapter()
    with caplog.at_level(logging.INFO, logger="bot.context"):
        await api.inject(message(private_chat(ALICE), user(ALICE), "tiktok law?"))
        [asked_back] = await api.wait_for("sendMessage", chat_id=ALICE)
    visible, error = parse_html(asked_back.params["text"])
    assert error is None
    assert visible.startswith("I'm not sure what you're asking. Did you mean:")
    markup = asked_back.params["reply_markup"]
    assert _buttons(markup) == [(LAW[1], "q:en:law-name"), (REDNOTE[1], "q:en:rednote-what")]  # no 👍/👎, no More

    (logged,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("clarify:")]
    assert logged == "clarify: platform=telegram lang=en question='tiktok law?' offered=law-name,rednote-what"
    assert str(ALICE) not in logged

    bot_message = {
        "message_id": 90,
        "date": 0,
        "chat": private_chat(ALICE),
        "from": api.bot_user,
        "text": visible,
        "reply_markup": markup,
    }
    await api.inject(callback_query(user(ALICE), "q:en:rednote-what", bot_message))
    [_, answer] = await api.wait_for("sendMessage", 2, chat_id=ALICE)
    await api.wait_for("answerCallbackQuery")
    answered, _ = parse_html(answer.params["text"])
    assert "RedNote (Xiaohongshu) is a Chinese social media app." in answered
    assert any(data.startswith("f:") for _, data in _buttons(answer.params["reply_markup"]))  # an answer: 👍/👎
    await api.idle(adapter.app.update_queue)
    assert len(api.calls_to("sendMessage", ALICE)) == 2


async def test_a_clarify_in_a_group_in_chinese_offers_three_choices(
    api: FakeTelegramAPI, start_adapter: StartAdapter, scripted: dict[str, Reply]
) -> None:
    choices = (
        ("law-name", "要求出售TikTok的法律叫什么？"),
        ("rednote-what", "小红书是什么？"),
        ("deadline-date", "截止日期是哪天？"),
    )
    scripted["TikTok怎么了"] = clarify_reply("zh", *choices)
    await start_adapter()
    await api.inject(message(group_chat(GROUP), user(ALICE, "zh-hans"), f"@{BOT_USERNAME} TikTok怎么了"))
    [asked_back] = await api.wait_for("sendMessage", chat_id=GROUP)
    assert parse_html(asked_back.params["text"])[0].startswith("我不太确定你想问什么。你是不是想问：")
    markup = asked_back.params["reply_markup"]
    assert _buttons(markup) == [(question, f"q:zh:{entry_id}") for entry_id, question in choices]

    bot_message = {"message_id": 91, "date": 0, "chat": group_chat(GROUP), "from": api.bot_user, "text": "x"}
    await api.inject(callback_query(user(ALICE, "zh-hans"), "q:zh:law-name", bot_message | {"reply_markup": markup}))
    [_, answer] = await api.wait_for("sendMessage", 2, chat_id=GROUP)
    assert "保护美国人免受外国对手控制应用程序法" in parse_html(answer.params["text"])[0]


async def test_an_inline_query_that_clarifies_offers_each_choice_as_a_result(
    api: FakeTelegramAPI, start_adapter: StartAdapter, scripted: dict[str, Reply]
) -> None:
    """Inline mode has no message to put buttons under: each choice is a result carrying that entry's answer."""
    scripted["tiktok law"] = clarify_reply("en", LAW, REDNOTE)
    await start_adapter()
    await api.inject(inline_query(user(ALICE), "tiktok law"))
    [call] = await api.wait_for("answerInlineQuery")
    results = call.params["results"]
    assert [r["title"] for r in results] == ["The law behind the TikTok ban", "What RedNote is"]
    assert "Protecting Americans" in results[0]["input_message_content"]["message_text"]
