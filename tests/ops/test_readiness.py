"""Readiness tells the truth and a platform that cannot be reached is not fatal: the app retries starting the
adapter with backoff (one WARNING line a try, no traceback), /readyz is 503 meanwhile and when no adapter runs."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import aiohttp
import pytest

from bot.adapters.lifecycle import Backoff, PlatformUnavailableError
from bot.app import App
from bot.context import BotContext
from bot.delivery.ports import Post, SendResult
from bot.settings import Settings
from bot.types import Platform
from tests.delivery.support import FakeClock


async def readyz(app: App) -> tuple[int, dict[str, bool]]:
    assert app.health is not None
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{app.health.port}/readyz") as resp:
        body = await resp.json()
        return resp.status, body["checks"]


@dataclass
class NullSender:
    platform: Platform = Platform.TELEGRAM

    async def send(self, post: Post) -> SendResult:
        return SendResult.sent()


@dataclass
class FlakyAdapter:
    """An adapter whose platform is down (start raises PlatformUnavailableError) until the test says not."""

    down: bool = True
    refuse: bool = False
    sender: NullSender = field(default_factory=NullSender)
    connected: bool = False
    tries: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> None:
        self.tries += 1
        self.changed.set()
        if self.refuse:
            raise RuntimeError("the token was refused")
        if self.down:
            raise PlatformUnavailableError("cannot reach the platform at https://api.example: ConnectError")
        self.connected = True

    async def stop(self) -> None:
        self.connected = False

    async def wait(self, condition: Callable[[], bool]) -> None:
        async with asyncio.timeout(10):
            while not condition():
                self.changed.clear()
                await self.changed.wait()


@pytest.fixture
async def flaky(
    settings: Settings, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[tuple[App, FlakyAdapter]]:
    caplog.set_level(logging.INFO, logger="bot.app")
    adapter = FlakyAdapter()

    def make(_ctx: BotContext) -> FlakyAdapter:
        return adapter

    app = App(
        settings,
        clock=clock,
        adapter_factories={"flaky": make},
        stdout=io.StringIO(),
        start_backoff=lambda: Backoff(0.01, 0.01, jitter=0),
    )
    await app.start()  # does not raise: the platform is retried in the background
    try:
        yield app, adapter
    finally:
        await app.stop()


def start_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    records = caplog.get_records("setup") + caplog.records  # the first try is in the fixture
    return [r for r in records if r.name == "bot.app" and "cannot start" in r.getMessage()]


async def test_an_unreachable_platform_is_retried_and_not_ready_meanwhile(
    flaky: tuple[App, FlakyAdapter], caplog: pytest.LogCaptureFixture
) -> None:
    app, adapter = flaky
    await adapter.wait(lambda: adapter.tries >= 3)
    status, checks = await readyz(app)
    assert status == 503 and checks["adapter:flaky"] is False
    assert checks["database"] and checks["scheduler"] and checks["knowledge"]  # everything else runs
    adapter.down = False
    await adapter.wait(lambda: adapter.connected)
    assert await readyz(app) == (200, {"database": True, "scheduler": True, "knowledge": True, "adapter:flaky": True})
    warnings = start_warnings(caplog)
    assert len(warnings) == adapter.tries - 1  # one line a failed try
    for number, record in enumerate(warnings, start=1):
        assert record.levelno == logging.WARNING and record.exc_info is None
        assert record.getMessage() == (
            f"adapter flaky cannot start (try {number}): cannot reach the platform at https://api.example: "
            "ConnectError; retrying in 0.0 s"
        )
    assert any(r.getMessage() == f"adapter started: flaky (try {adapter.tries})" for r in caplog.records)


async def test_a_refusal_while_retrying_stops_retrying_with_one_error(
    flaky: tuple[App, FlakyAdapter], caplog: pytest.LogCaptureFixture
) -> None:
    app, adapter = flaky
    await adapter.wait(lambda: adapter.tries >= 2)
    adapter.refuse = True
    await adapter.wait(lambda: any(r.levelno == logging.ERROR for r in caplog.records))
    (error,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert error.getMessage() == (
        "adapter flaky cannot start: RuntimeError: the token was refused; not retrying (/readyz stays 503)"
    )
    assert (await readyz(app))[0] == 503


async def test_a_refusal_at_the_first_try_stops_the_bot(settings: Settings, clock: FakeClock) -> None:
    adapter = FlakyAdapter(refuse=True)
    app = App(settings, clock=clock, adapter_factories={"flaky": lambda _ctx: adapter}, stdout=io.StringIO())
    try:
        with pytest.raises(RuntimeError, match="the token was refused"):
            await app.start()
    finally:
        await app.stop()


async def test_no_adapter_means_not_ready_and_a_warning(
    settings: Settings, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    app = App(settings, clock=clock, stdin=io.StringIO(""), stdout=io.StringIO())  # `banbot run`, no token
    await app.start()
    try:
        assert app.console is not None
        status, checks = await readyz(app)
        assert status == 503 and checks == {"database": True, "scheduler": True, "knowledge": True, "adapters": False}
        (warning,) = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert "no adapter runs: BANBOT_TELEGRAM_TOKEN and BANBOT_DISCORD_TOKEN are unset" in warning.getMessage()
    finally:
        await app.stop()
