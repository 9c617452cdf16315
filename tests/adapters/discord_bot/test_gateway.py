"""The gateway cannot die silently: an event discord.py cannot parse ends its loop; the adapter then says
"not connected" and reconnects with backoff, one WARNING line a try. Discord unreachable at start is a
PlatformUnavailableError the caller retries; a session Discord refuses stops reconnecting with one ERROR line.
A Discord whose API answers 5xx means "not connected" too, until it answers normally."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.discord_bot import DiscordAdapter
from bot.adapters.discord_bot.client import quiet_library_retries
from bot.adapters.lifecycle import Backoff, PlatformUnavailableError
from bot.context import BotContext
from bot.core.models import Reply, ReplyKind
from bot.delivery.ports import Post, SendStatus
from bot.settings import Settings
from bot.types import ChatRef, Platform
from tests.adapters.discord_bot.conftest import make_settings
from tests.fakes.discord_api import CHANNEL_ID, USER_ID, FakeDiscord

StartAdapter = Callable[..., Awaitable[DiscordAdapter]]
UNPARSEABLE = {"id": "1", "content": "no channel, no author"}  # MESSAGE_CREATE without channel_id: a KeyError


def gateway_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "bot.adapters.discord_bot.client" and "gateway" in r.getMessage()]


@pytest.fixture
async def started(tmp_path: Path, ctx: BotContext, fake: FakeDiscord) -> AsyncIterator[StartAdapter]:
    adapters: list[DiscordAdapter] = []

    async def start(delay: float, **settings: Any) -> DiscordAdapter:
        backoff = Backoff(delay, delay, jitter=0)
        adapter = DiscordAdapter(make_settings(tmp_path, **settings), ctx, backoff=backoff)
        adapters.append(adapter)
        await adapter.start()
        async with asyncio.timeout(10):
            await adapter.wait_until_ready()
        return adapter

    yield start
    for adapter in adapters:
        await adapter.stop()


async def test_an_unparseable_event_means_not_connected(
    started: StartAdapter, fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    adapter = await started(3600.0)
    assert adapter.connected
    await fake.dispatch("MESSAGE_CREATE", UNPARSEABLE)
    await fake.wait_for(lambda: not adapter.connected, within=10)
    await fake.wait_for(lambda: not fake.sockets, within=10)  # the deaf socket is closed while it waits
    (line,) = gateway_lines(caplog)
    assert line.levelno == logging.WARNING and line.exc_info is None  # one line, no traceback
    assert line.getMessage() == "discord gateway lost (KeyError: 'channel_id'): reconnecting in 3600.0 s (try 1)"


SHARDED = {"discord_shard_count": 1, "discord_shard_ids": [0]}


@pytest.mark.parametrize("sharding", [{}, SHARDED], ids=["plain", "sharded"])
async def test_it_reconnects_and_answers_again(
    started: StartAdapter, fake: FakeDiscord, caplog: pytest.LogCaptureFixture, sharding: dict[str, Any]
) -> None:
    adapter = await started(0.01, **sharding)
    await fake.dispatch("MESSAGE_CREATE", UNPARSEABLE)
    await fake.wait_for(lambda: len(fake.identifies) == 2 and adapter.connected, within=10)
    await fake.dispatch("INTERACTION_CREATE", fake.slash("countdown", user_id=USER_ID, channel_id=CHANNEL_ID))
    await fake.wait_kind("callback")  # answered on the new connection
    assert [r.levelname for r in gateway_lines(caplog)] == ["WARNING"]


async def test_a_refused_session_stops_reconnecting_with_one_error(
    started: StartAdapter, fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    adapter = await started(0.01)
    await fake.close_gateway(4004)  # authentication failed: the token was reset
    await fake.wait_for(lambda: not adapter.connected and bool(gateway_lines(caplog)), within=10)
    (line,) = gateway_lines(caplog)
    assert line.levelno == logging.ERROR and "4004" in line.getMessage()
    assert len(fake.identifies) == 1


async def test_an_api_answering_5xx_means_not_connected_until_it_answers_again(
    started: StartAdapter, fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.adapters.lifecycle")
    adapter = await started(3600.0)
    assert adapter.connected
    fake.rest_status = 502  # the gateway stays up; REST is down behind Discord's front end
    post = Post(ChatRef(Platform.DISCORD, str(CHANNEL_ID)), Reply(ReplyKind.COUNTDOWN, "3 days", "en"), "k:1")
    sending = asyncio.create_task(adapter.sender.send(post))
    await fake.wait_for(lambda: not adapter.connected, within=10)
    fake.rest_status = None
    await fake.wait_for(lambda: adapter.connected, within=10)
    assert (await sending).status is SendStatus.SENT  # discord.py retried the 502 itself
    changes = [r for r in caplog.records if r.name == "bot.adapters.lifecycle"]
    assert [(r.levelname, r.getMessage()) for r in changes] == [
        ("WARNING", "discord API answered HTTP 502: not ready until it answers normally"),
        ("INFO", "discord API answers again: ready"),
    ]


async def test_discord_unreachable_at_start_is_retryable_and_leaves_nothing_open(
    settings: Settings, ctx: BotContext, fake: FakeDiscord
) -> None:
    adapter = DiscordAdapter(settings, ctx)
    fake.drop_logins = True
    for _ in range(2):
        with pytest.raises(PlatformUnavailableError, match=r"cannot reach Discord at http://127\.0\.0\.1"):
            await adapter.start()
        assert not adapter.connected
    fake.drop_logins = False
    await adapter.start()  # the next try logs in with a fresh HTTP session
    try:
        async with asyncio.timeout(10):
            await adapter.wait_until_ready()
        assert adapter.connected
    finally:
        await adapter.stop()


def test_discord_py_own_reconnect_tries_are_one_warning_line(caplog: pytest.LogCaptureFixture) -> None:
    quiet_library_retries()
    try:
        raise OSError(111, "Connect call failed")
    except OSError:
        logging.getLogger("discord.client").exception("Attempting a reconnect in %.2fs", 1.5)
    (record,) = caplog.records
    assert (record.levelno, record.exc_info) == (logging.WARNING, None)
    assert (
        record.getMessage()
        == "Attempting a reconnect in 1.50s after ConnectionRefusedError: [Errno 111] Connect call failed"
    )
