"""Questions end to end: private chats, groups, inline mode, buttons, escaping and splitting."""

from __future__ import annotations

import html

from bot.adapters.telegram_bot import TelegramAdapter
from bot.core.models import Reply, ReplyKind, SourceRef, Suggestion
from tests.adapters.telegram_bot.conftest import BOT_USERNAME, StartAdapter, answer_reply
from tests.fakes.ports import MemoryServices
from tests.fakes.telegram_api import (
    FakeTelegramAPI,
    callback_query,
    group_chat,
    inline_query,
    message,
    parse_html,
    private_chat,
    user,
    utf16_len,
)

ALICE = 1001
GROUP = -2001


async def test_private_text_is_a_question(api: FakeTelegramAPI, adapter: TelegramAdapter) -> None:
    await api.inject(message(private_chat(ALICE), user(ALICE), "when is the deadline?"))
    [sent] = await api.wait_for("sendMessage", chat_id=ALICE)
    assert sent.params["parse_mode"] == "HTML"
    text = sent.params["text"]
    assert "<b>The deadline</b>" in text
    assert "January 19, 2025" in text
    assert '• <a href="https://www.supremecourt.gov/x.pdf">The ruling</a> — Supreme Court' in text
    assert "<i>As of January 17, 2025</i>" in text
    rows = sent.params["reply_markup"]["inline_keyboard"]
    assert [b["text"] for b in rows[0]] == ["What is the law called?"]
    assert rows[-1][0]["text"].startswith("👍") and rows[-1][1]["text"].startswith("👎")
    for row in rows:
        for button in row:
            assert len(button["callback_data"].encode()) <= 64
    assert adapter.connected


async def test_real_answer_in_chinese_with_related_button(api: FakeTelegramAPI, adapter: TelegramAdapter) -> None:
    await api.inject(message(private_chat(ALICE), user(ALICE, "zh-hans"), "小红书是什么"))
    [sent] = await api.wait_for("sendMessage", chat_id=ALICE)
    assert "小红书是一款中国社交媒体应用" in sent.params["text"]
    assert "截至2025年1月15日" in sent.params["text"]
    rows = sent.params["reply_markup"]["inline_keyboard"]
    assert rows[0][0]["callback_data"] == "q:zh:law-name"


async def test_group_mention_is_answered_and_chatter_ignored(api: FakeTelegramAPI, adapter: TelegramAdapter) -> None:
    chat = group_chat(GROUP)
    await api.inject(message(chat, user(ALICE), "when is the deadline? anyone know"))
    await api.drained()
    await api.inject(message(chat, user(ALICE), f"@{BOT_USERNAME} when is the deadline?"))
    [sent] = await api.wait_for("sendMessage", chat_id=GROUP)
    assert "The deadline" in sent.params["text"]
    assert "reply_parameters" in sent.params  # quotes the question in a group
    await api.idle(adapter.app.update_queue)
    assert len(api.calls_to("sendMessage")) == 1


async def test_reply_to_the_bot_in_a_group_is_answered(api: FakeTelegramAPI, adapter: TelegramAdapter) -> None:
    chat = group_chat(GROUP)
    bot_message = {"message_id": 5, "date": 0, "chat": chat, "from": api.bot_user, "text": "earlier answer"}
    await api.inject(message(chat, user(ALICE), "when is the deadline then?", reply_to_message=bot_message))
    [sent] = await api.wait_for("sendMessage", chat_id=GROUP)
    assert "The deadline" in sent.params["text"]


async def test_group_command_addressed_to_this_bot_and_not_another(
    api: FakeTelegramAPI, adapter: TelegramAdapter
) -> None:
    chat = group_chat(GROUP)
    await api.inject(message(chat, user(ALICE), "/countdown@other_bot"))
    await api.drained()
    await api.inject(message(chat, user(ALICE), f"/countdown@{BOT_USERNAME}"))
    [sent] = await api.wait_for("sendMessage", chat_id=GROUP)
    assert "9 days until the TikTok divest-or-ban law taking effect" in sent.params["text"]
    await api.idle(adapter.app.update_queue)
    assert len(api.calls_to("sendMessage")) == 1


async def test_ask_command_and_usage(api: FakeTelegramAPI, adapter: TelegramAdapter) -> None:
    await api.inject(message(private_chat(ALICE), user(ALICE), "/ask"))
    await api.inject(message(private_chat(ALICE), user(ALICE), "/ask what is the law called"))
    first, second = await api.wait_for("sendMessage", 2, chat_id=ALICE)
    texts = {first.params["text"], second.params["text"]}
    assert any("Ask me something after the command" in t for t in texts)
    assert any("Protecting Americans" in t for t in texts)


async def test_inline_query_offers_answer_and_suggestions(api: FakeTelegramAPI, adapter: TelegramAdapter) -> None:
    await api.inject(inline_query(user(ALICE), "what is the law called"))
    [call] = await api.wait_for("answerInlineQuery")
    results = call.params["results"]
    assert results[0]["type"] == "article"
    assert results[0]["title"] == "The law behind the TikTok ban"
    assert "Protecting Americans" in results[0]["input_message_content"]["message_text"]
    assert results[0]["input_message_content"]["parse_mode"] == "HTML"
    assert [r["title"] for r in results[1:]] == ["What RedNote is"]


async def test_feedback_button_is_stored_and_removed(
    api: FakeTelegramAPI, adapter: TelegramAdapter, services: MemoryServices
) -> None:
    await api.inject(message(private_chat(ALICE), user(ALICE), "when is the deadline?"))
    [sent] = await api.wait_for("sendMessage", chat_id=ALICE)
    markup = sent.params["reply_markup"]
    thumbs_up = markup["inline_keyboard"][-1][0]["callback_data"]
    bot_message = {
        "message_id": 77,
        "date": 0,
        "chat": private_chat(ALICE),
        "from": api.bot_user,
        "text": "answer",
        "reply_markup": markup,
    }
    await api.inject(callback_query(user(ALICE), thumbs_up, bot_message))
    [answered] = await api.wait_for("answerCallbackQuery")
    assert answered.params["text"] == "Thanks for the feedback!"
    assert await services.votes() == [("deadline-date", 1, 0)]
    [edited] = await api.wait_for("editMessageReplyMarkup")
    await api.inject(callback_query(user(ALICE), thumbs_up, bot_message, query_id="cq2"))  # tapped again
    await api.wait_for("answerCallbackQuery", 2)
    assert await services.votes() == [("deadline-date", 1, 0)]  # still one vote
    thumbs_down = markup["inline_keyboard"][-1][1]["callback_data"]
    await api.inject(callback_query(user(ALICE), thumbs_down, bot_message, query_id="cq3"))  # a change of mind
    again = (await api.wait_for("answerCallbackQuery", 3))[-1]
    assert again.params["text"] == "Thanks for the feedback!"
    assert await services.votes() == [("deadline-date", 0, 1)]  # the last vote counts
    rows = edited.params["reply_markup"]["inline_keyboard"]
    assert all(not b["callback_data"].startswith("f:") for row in rows for b in row)
    assert len(rows) == 2  # the related questions stay


async def test_suggestion_button_sends_that_answer(api: FakeTelegramAPI, adapter: TelegramAdapter) -> None:
    bot_message = {"message_id": 78, "date": 0, "chat": private_chat(ALICE), "from": api.bot_user, "text": "x"}
    await api.inject(callback_query(user(ALICE), "q:en:rednote-what", bot_message))
    [sent] = await api.wait_for("sendMessage", chat_id=ALICE)
    assert "RedNote (Xiaohongshu)" in sent.params["text"]
    await api.wait_for("answerCallbackQuery")


async def test_suggestion_button_on_an_inline_message_edits_it(api: FakeTelegramAPI, adapter: TelegramAdapter) -> None:
    await api.inject(callback_query(user(ALICE), "q:en:rednote-what", inline_message_id="inl-1"))
    [edited] = await api.wait_for("editMessageText")
    assert edited.params["inline_message_id"] == "inl-1"
    assert "RedNote (Xiaohongshu)" in edited.params["text"]


async def test_hostile_input_is_escaped(
    api: FakeTelegramAPI, start_adapter: StartAdapter, scripted: dict[str, Reply]
) -> None:
    evil = '<script>alert("x")</script> & <b>bold</b> <a href="javascript:x">y</a>'
    scripted["evil"] = Reply(
        kind=ReplyKind.ANSWER,
        text=f"You asked: {evil}",
        lang="en",
        title=f"Title {evil}",
        entry_id="evil-entry",
        sources=(SourceRef("s", f"Src {evil}", "<i>pub</i>", 'https://example.com/?a=1&b="2"'),),
        suggestions=(Suggestion("law-name", f"Q {evil}"),),
    )
    await start_adapter()
    await api.inject(message(private_chat(ALICE), user(ALICE), f"evil {evil}"))
    [sent] = await api.wait_for("sendMessage", chat_id=ALICE)  # the fake rejects malformed HTML with 400
    text = sent.params["text"]
    assert "<script" not in text and "<b>bold" not in text and "javascript" not in text.split("href=")[0]
    visible, error = parse_html(text)
    assert error is None
    assert f"You asked: {evil}" in visible
    assert f"Title {evil}" in visible
    assert 'href="https://example.com/?a=1&amp;b=&quot;2&quot;"' in text
    assert html.escape(evil, quote=False) in text


async def test_long_answer_is_split_on_paragraphs(
    api: FakeTelegramAPI, start_adapter: StartAdapter, scripted: dict[str, Reply]
) -> None:
    paragraphs = [f"Paragraph {i}: " + ("word " * 60).strip() + " & <done>" for i in range(32)]
    text = "\n\n".join(paragraphs)
    assert len(text) > 10_000
    scripted["long one"] = answer_reply("long-entry", text, title="Long")
    adapter = await start_adapter()
    await api.inject(message(private_chat(ALICE), user(ALICE), "the long one please"))
    await api.wait_for("sendMessage", 3, chat_id=ALICE)
    await api.idle(adapter.app.update_queue)
    sent = api.calls_to("sendMessage", ALICE)
    assert len(sent) == 3
    visible_parts = []
    for call in sent:
        visible, error = parse_html(call.params["text"])
        assert error is None
        assert utf16_len(visible) <= 4096
        visible_parts.append(visible)
    joined = "\n\n".join(visible_parts)
    for paragraph in paragraphs:  # every paragraph whole, in order, within one message
        assert sum(paragraph in part for part in visible_parts) == 1
    assert joined.index("Paragraph 0:") < joined.index("Paragraph 31:")
    assert "reply_markup" not in sent[0].params and "reply_markup" in sent[-1].params


async def test_a_decline_shows_its_reply_and_the_starter_questions(
    api: FakeTelegramAPI, start_adapter: StartAdapter, scripted: dict[str, Reply]
) -> None:
    starters = (Suggestion("law-name", "What is the law called?"), Suggestion("rednote-what", "What is RedNote?"))
    scripted["duet"] = Reply(
        kind=ReplyKind.DECLINE,
        text="I only know about the US TikTok ban. For help with the app itself, see TikTok's Help Center.",
        lang="en",
        suggestions=starters,
    )
    await start_adapter()
    await api.inject(message(private_chat(ALICE), user(ALICE), "how do I duet on tiktok"))
    [sent] = await api.wait_for("sendMessage", chat_id=ALICE)
    assert sent.params["text"].startswith("I only know about the US TikTok ban. For help with the app itself")
    rows = sent.params["reply_markup"]["inline_keyboard"]
    assert [row[0]["text"] for row in rows] == ["What is the law called?", "What is RedNote?"]  # no 👍/👎
