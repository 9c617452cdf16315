"""The Telegram sender: countdown posts through the fake Bot API, and every failure classified."""

from __future__ import annotations

import pytest
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.adapters.telegram_bot import TelegramAdapter
from bot.adapters.telegram_bot.sender import classify
from bot.core.models import Reply, ReplyKind
from bot.delivery.ports import Post, SendStatus
from bot.types import ChatRef, Platform
from tests.adapters.telegram_bot.conftest import NOW
from tests.fakes.telegram_api import FakeTelegramAPI

GROUP = -3001

# PTB itself warns when it builds a RetryAfter (its int retry_after becomes a timedelta in v23).
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


def countdown_post(adapter: TelegramAdapter, chat_id: int = GROUP, thread_id: str | None = None) -> Post:
    reply = adapter.handlers.ctx.knowledge.answerer.countdown(NOW, "en")
    return Post(ChatRef(Platform.TELEGRAM, str(chat_id), thread_id=thread_id), reply, key="sub1:2025-01-10")


async def test_post_is_sent_as_html(api: FakeTelegramAPI, adapter: TelegramAdapter) -> None:
    result = await adapter.sender.send(countdown_post(adapter, thread_id="7"))
    assert result.status is SendStatus.SENT
    [call] = api.calls_to("sendMessage", GROUP)
    assert call.params["parse_mode"] == "HTML"
    assert call.params["message_thread_id"] == "7"
    assert "9 days until the TikTok divest-or-ban law taking effect" in call.params["text"]


async def test_429_reports_retry_after_without_retrying(api: FakeTelegramAPI, adapter: TelegramAdapter) -> None:
    api.fail_next_send(GROUP, "429", retry_after=7)
    result = await adapter.sender.send(countdown_post(adapter))
    assert result.status is SendStatus.RATE_LIMITED
    assert result.retry_after == 7.0
    assert len(api.calls_to("sendMessage", GROUP)) == 1


@pytest.mark.parametrize("kind", ["403", "not_found"])
async def test_blocked_or_missing_chat_is_gone(api: FakeTelegramAPI, adapter: TelegramAdapter, kind: str) -> None:
    api.fail_next_send(GROUP, kind)
    result = await adapter.sender.send(countdown_post(adapter))
    assert result.status is SendStatus.GONE
    assert len(api.calls_to("sendMessage", GROUP)) == 1


async def test_migration_reports_the_new_chat(api: FakeTelegramAPI, adapter: TelegramAdapter) -> None:
    api.fail_next_send(GROUP, "migrate", migrate_to=-1009999)
    result = await adapter.sender.send(countdown_post(adapter))
    assert result.status is SendStatus.MIGRATED
    assert result.new_chat_id == "-1009999"


async def test_bad_request_is_never_transient(api: FakeTelegramAPI, adapter: TelegramAdapter) -> None:
    api.fail_next_send(GROUP, "bad_request")
    result = await adapter.sender.send(countdown_post(adapter))
    assert result.status not in (SendStatus.TRANSIENT, SendStatus.RATE_LIMITED, SendStatus.SENT)
    assert len(api.calls_to("sendMessage", GROUP)) == 1


async def test_server_error_is_transient(api: FakeTelegramAPI, adapter: TelegramAdapter) -> None:
    api.fail_next_send(GROUP, "502")
    result = await adapter.sender.send(countdown_post(adapter))
    assert result.status is SendStatus.TRANSIENT


async def test_long_post_goes_out_in_parts(api: FakeTelegramAPI, adapter: TelegramAdapter) -> None:
    reply = Reply(kind=ReplyKind.COUNTDOWN, text="\n\n".join(["x" * 3000] * 3), lang="en")
    result = await adapter.sender.send(Post(ChatRef(Platform.TELEGRAM, str(GROUP)), reply, key="k"))
    assert result.status is SendStatus.SENT
    assert len(api.calls_to("sendMessage", GROUP)) == 3


def test_classification_checks_subclasses_first() -> None:
    assert issubclass(BadRequest, NetworkError)  # the trap: a naive NetworkError check retries bad requests
    assert classify(BadRequest("Message text is empty")).status is not SendStatus.TRANSIENT
    assert classify(BadRequest("Chat not found")).status is SendStatus.GONE
    assert classify(BadRequest("Bad Request: message thread not found")).status is SendStatus.GONE
    assert classify(Forbidden("Forbidden: bot was blocked by the user")).status is SendStatus.GONE
    assert classify(TimedOut()).status is SendStatus.TRANSIENT
    assert classify(NetworkError("boom")).status is SendStatus.TRANSIENT
    migrated = classify(ChatMigrated(-100123))
    assert (migrated.status, migrated.new_chat_id) == (SendStatus.MIGRATED, "-100123")
    limited = classify(RetryAfter(12))
    assert (limited.status, limited.retry_after) == (SendStatus.RATE_LIMITED, 12.0)
