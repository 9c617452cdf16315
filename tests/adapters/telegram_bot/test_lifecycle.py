"""Start and stop on a shared loop, the command menu, rate limiting, errors, and a token-free log."""

from __future__ import annotations

import logging

import pytest

from bot.adapters.telegram_bot import TelegramAdapter
from bot.engine.holder import KnowledgeHolder
from bot.storage.memory import InMemoryStore
from bot.storage.records import SubscriptionRecord
from bot.types import ChatRef, Platform
from tests.adapters.telegram_bot.conftest import TOKEN, FakeClock, StartAdapter
from tests.fakes.ports import MemoryServices
from tests.fakes.telegram_api import FakeTelegramAPI, callback_query, message, private_chat, user

ALICE = 1001


async def test_start_registers_commands_in_english_and_chinese(api: FakeTelegramAPI, adapter: TelegramAdapter) -> None:
    assert adapter.connected
    assert api.calls_to("getMe") and api.calls_to("deleteWebhook")
    menus = {c.params.get("language_code"): c.params["commands"] for c in api.calls_to("setMyCommands")}
    assert set(menus) == {None, "zh"}
    for commands in menus.values():
        assert {c["command"] for c in commands} == {
            "start",
            "help",
            "ask",
            "countdown",
            "subscribe",
            "unsubscribe",
            "subscriptions",
            "timeline",
            "sources",
        }
    assert any("小红书" in c["description"] for c in menus["zh"])
    await api.wait_for("getUpdates")
    await adapter.stop()
    assert not adapter.connected


async def test_rate_limit_answers_politely_once(api: FakeTelegramAPI, start_adapter: StartAdapter) -> None:
    adapter = await start_adapter(user_rate_limit=2)
    for _ in range(5):
        await api.inject(message(private_chat(ALICE), user(ALICE), "when is the deadline?"))
    await api.wait_for("sendMessage", 3, chat_id=ALICE)
    await api.idle(adapter.app.update_queue)
    texts = [c.params["text"] for c in api.calls_to("sendMessage", ALICE)]
    assert len(texts) == 3
    assert sum("asking faster than I can keep up" in t for t in texts) == 1


class BrokenFeedback:
    async def record_feedback(self, platform: Platform, entry_id: str, helpful: bool, *, voter: str) -> None:
        raise RuntimeError("database is on fire")


class BrokenStore(InMemoryStore):
    async def list_subscriptions(self, chat: ChatRef, *, include_inactive: bool = False) -> list[SubscriptionRecord]:
        raise RuntimeError("database is on fire")


async def test_error_handler_logs_and_replies_briefly(
    api: FakeTelegramAPI,
    start_adapter: StartAdapter,
    knowledge: KnowledgeHolder,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken = MemoryServices.build(lambda: knowledge.kb, clock, BrokenStore())
    await start_adapter(subscriptions=broken.subscriptions)
    await api.inject(message(private_chat(ALICE), user(ALICE), "/subscriptions"))
    [answered] = await api.wait_for("sendMessage", chat_id=ALICE)
    assert answered.params["text"] == "Sorry, something went wrong on my side. Please try again in a moment."
    assert any("telegram handler failed" in r.getMessage() for r in caplog.records)


async def test_a_vote_lost_to_storage_is_still_thanked(api: FakeTelegramAPI, start_adapter: StartAdapter) -> None:
    await start_adapter(feedback=BrokenFeedback())
    bot_message = {"message_id": 9, "date": 0, "chat": private_chat(ALICE), "from": api.bot_user, "text": "x"}
    await api.inject(callback_query(user(ALICE), "f:en:+:law-name", bot_message))
    [answered] = await api.wait_for("answerCallbackQuery")
    assert answered.params["text"] == "Thanks for the feedback!"


async def test_token_never_reaches_a_log(
    api: FakeTelegramAPI, start_adapter: StartAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # everything, from every logger
    adapter = await start_adapter(feedback=BrokenFeedback())
    await api.inject(message(private_chat(ALICE), user(ALICE), "when is the deadline?"))
    await api.inject(callback_query(user(ALICE), "f:en:-:law-name"))
    await api.wait_for("sendMessage", chat_id=ALICE)
    await api.wait_for("answerCallbackQuery")
    api.fail_next_send(ALICE, "403")
    from tests.adapters.telegram_bot.test_sender import countdown_post

    await adapter.sender.send(countdown_post(adapter, ALICE))
    await adapter.stop()
    assert caplog.records, "the run should have logged something"
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    secret = TOKEN.split(":", 1)[1]
    for record in caplog.records:
        line = formatter.format(record)
        assert secret not in line, line
        assert TOKEN not in line
    assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING
