"""Commands and buttons end to end, against the real services over an InMemoryStore: the interface language,
"More", unknown commands, forged or flooding buttons, bounded echoes, and /unsubscribe removing only what is asked."""

from __future__ import annotations

from tests.adapters.telegram_bot.conftest import BOT_USERNAME, StartAdapter
from tests.fakes.ports import MemoryServices
from tests.fakes.telegram_api import (
    FakeTelegramAPI,
    callback_query,
    group_chat,
    message,
    parse_html,
    private_chat,
    user,
)

ALICE = 1101
GROUP = -3101


def _bot_message(api: FakeTelegramAPI, chat_id: int = ALICE, markup: dict | None = None) -> dict:
    body = {"message_id": 70, "date": 0, "chat": private_chat(chat_id), "from": api.bot_user, "text": "x"}
    if markup is not None:
        body["reply_markup"] = markup
    return body


async def test_interface_text_is_in_the_users_app_language(api: FakeTelegramAPI, start_adapter: StartAdapter) -> None:
    await start_adapter()
    for command in ("/help", "/countdown", "/subscriptions", "/coutndown"):
        await api.inject(message(private_chat(ALICE), user(ALICE, "zh-hans"), command))
    sent = await api.wait_for("sendMessage", 4, chat_id=ALICE)
    texts = [parse_html(c.params["text"])[0] for c in sent]
    assert any(t.startswith("我是 banbot") for t in texts)
    assert any("距离TikTok“不剥离就禁用”法律生效（2025年1月19日）还有 9 天。" in t for t in texts)
    assert "这里还没有订阅。使用 /subscribe 接收倒计时和新动态。" in texts
    assert "我不认识命令 /coutndown。你是不是想用 /countdown？" in texts


async def test_an_answer_leads_with_its_short_answer_and_more_reveals_the_rest(
    api: FakeTelegramAPI, start_adapter: StartAdapter
) -> None:
    await start_adapter()
    await api.inject(message(private_chat(ALICE), user(ALICE), "what is the law that could ban TikTok called"))
    [sent] = await api.wait_for("sendMessage", chat_id=ALICE)
    visible, _ = parse_html(sent.params["text"])
    assert "It is the Protecting Americans from Foreign Adversary Controlled Applications Act." in visible
    assert "foreign-aid package" not in visible  # the full answer is behind "More"
    assert visible.count("• ") == 1 and "— Congress.gov" in visible  # its best source only
    assert visible.endswith("As of April 24, 2024 · checked November 26, 2026")
    rows = sent.params["reply_markup"]["inline_keyboard"]
    assert rows[0] == [{"text": "More", "callback_data": "m:en:law-name"}]

    await api.inject(
        callback_query(user(ALICE), "m:en:law-name", _bot_message(api, markup=sent.params["reply_markup"]))
    )
    [edited] = await api.wait_for("editMessageText")
    full, error = parse_html(edited.params["text"])
    assert error is None
    assert "foreign-aid package" in full and full.count("• ") == 2
    assert all(
        b["callback_data"] != "m:en:law-name" for row in edited.params["reply_markup"]["inline_keyboard"] for b in row
    )
    await api.wait_for("answerCallbackQuery")


async def test_sources_of_a_topic(api: FakeTelegramAPI, start_adapter: StartAdapter) -> None:
    await start_adapter()
    await api.inject(message(private_chat(ALICE), user(ALICE), "/sources what is the law that could ban TikTok called"))
    [sent] = await api.wait_for("sendMessage", chat_id=ALICE)
    visible, _ = parse_html(sent.params["text"])
    assert "All sources for “The law behind the TikTok ban”" in visible
    assert "Congress.gov" in visible and "Supreme Court of the United States" in visible


async def test_unknown_commands_get_did_you_mean_where_meant_for_this_bot(
    api: FakeTelegramAPI, start_adapter: StartAdapter
) -> None:
    adapter = await start_adapter()
    chat = group_chat(GROUP)
    await api.inject(message(chat, user(ALICE), "/coutndown"))  # bare, in a group: maybe another bot's
    await api.inject(message(chat, user(ALICE), "/coutndown@other_bot"))
    await api.inject(message(chat, user(ALICE), f"/timelin@{BOT_USERNAME}"))
    await api.inject(message(private_chat(ALICE), user(ALICE), "/zzz"))
    await api.idle(adapter.app.update_queue)
    [group_reply] = api.calls_to("sendMessage", GROUP)
    assert group_reply.params["text"] == "I don't know the command /timelin. Did you mean /timeline?"
    [private_reply] = api.calls_to("sendMessage", ALICE)
    assert private_reply.params["text"].startswith("I don't know the command /zzz. Commands: /ask, /countdown")


async def test_forged_callback_data_gets_a_notice_and_stores_nothing(
    api: FakeTelegramAPI, start_adapter: StartAdapter, services: MemoryServices
) -> None:
    adapter = await start_adapter()
    for i, data in enumerate(("q:en:no-such-entry", "m:en:no-such-entry", "f:en:+:no-such-entry")):
        await api.inject(callback_query(user(ALICE), data, _bot_message(api), query_id=f"forged{i}"))
    await api.idle(adapter.app.update_queue)
    answers = api.calls_to("answerCallbackQuery")
    assert len(answers) == 3
    assert all(
        a.params["text"] == "That topic is no longer available. Please ask your question again." for a in answers
    )
    assert await services.votes() == [] and api.calls_to("sendMessage") == [] and api.calls_to("editMessageText") == []


async def test_button_taps_spend_the_allowance_and_are_told_once(
    api: FakeTelegramAPI, start_adapter: StartAdapter
) -> None:
    adapter = await start_adapter(user_rate_limit=1)
    for i in range(5):
        await api.inject(callback_query(user(ALICE), "q:en:rednote-what", _bot_message(api), query_id=f"tap{i}"))
    await api.idle(adapter.app.update_queue)
    assert len(api.calls_to("sendMessage", ALICE)) == 1
    alerts = [c for c in api.calls_to("answerCallbackQuery") if c.params.get("text")]
    assert [a.params["text"] for a in alerts] == [
        "You're asking faster than I can keep up. Please wait a minute and try again."
    ]


async def test_commands_do_not_use_up_the_question_allowance(api: FakeTelegramAPI, start_adapter: StartAdapter) -> None:
    adapter = await start_adapter(user_rate_limit=1)
    for text in ("/help", "/countdown", "/timeline", "what is RedNote"):
        await api.inject(message(private_chat(ALICE), user(ALICE), text))
    await api.idle(adapter.app.update_queue)
    texts = [parse_html(c.params["text"])[0] for c in api.calls_to("sendMessage", ALICE)]
    assert len(texts) == 4 and not any("faster" in t for t in texts)


async def test_every_echo_of_user_text_is_short(api: FakeTelegramAPI, start_adapter: StartAdapter) -> None:
    adapter = await start_adapter()
    long = "x" * 4000
    for text in (f"/subscribe 09:00 {long}", f"/subscribe 9{long}", f"/unsubscribe {long}", f"/countdown {long}"):
        await api.inject(message(private_chat(ALICE), user(ALICE), text))
    await api.inject(message(private_chat(ALICE), user(ALICE), "/" + long))
    await api.idle(adapter.app.update_queue)
    texts = [parse_html(c.params["text"])[0] for c in api.calls_to("sendMessage", ALICE)]
    assert len(texts) == 5
    assert all(len(t) < 400 for t in texts), [len(t) for t in texts]
    assert any("is not a time of day" in t for t in texts)
    assert any("is not a subscription number" in t for t in texts)
    assert sum("is too long for a time zone" in t for t in texts) == 2
    assert any(t.startswith("I don't know the command /xxx") for t in texts)


async def test_unsubscribe_removes_only_what_is_asked(api: FakeTelegramAPI, start_adapter: StartAdapter) -> None:
    adapter = await start_adapter()
    chat, admin = private_chat(ALICE), user(ALICE)

    async def say(text: str) -> str:
        before = len(api.calls_to("sendMessage", ALICE))
        await api.inject(message(chat, admin, text))
        await api.wait_for("sendMessage", before + 1, chat_id=ALICE)
        await api.idle(adapter.app.update_queue)
        return parse_html(api.calls_to("sendMessage", ALICE)[-1].params["text"])[0]

    assert (await say("/subscribe 08:00 Europe/Paris")).startswith("Subscribed (#1): a daily countdown to the TikTok")
    assert (await say("/subscribe Asia/Tokyo")).startswith("Subscribed (#2)")  # a zone alone: the default time
    again = await say("/subscribe 8:00 Europe/Paris")
    assert again.startswith("This chat already gets posts about the TikTok divest-or-ban law taking effect at 08:00")
    assert "law-effective" not in again  # named, never by an internal id
    which = await say("/unsubscribe")
    assert "This chat has 2 subscriptions. Say which one to stop" in which
    assert "#1 a daily countdown to the TikTok divest-or-ban law taking effect, at 08:00 (Europe/Paris)" in which
    assert (await say("/unsubscribe later")).startswith("“later” is not a subscription number.")
    assert (await say("/unsubscribe #2")).startswith("Unsubscribed #2: a daily countdown")
    assert (await say("/unsubscribe 7")).startswith("There is no subscription #7 in this chat.")
    listing = await say("/subscriptions")
    assert "#1 a daily countdown" in listing and "#2" not in listing
    assert (await say("/unsubscribe all")) == (
        "Unsubscribed #1: a daily countdown to the TikTok divest-or-ban law taking effect, at 08:00 "
        "(Europe/Paris). Nothing more will be posted for it here."
    )
    assert (await say("/unsubscribe")).startswith("No subscriptions here.")
