"""Graceful shutdown: `banbot run` stops within seconds on SIGTERM or Ctrl-C, and in-flight posts are not lost."""

from __future__ import annotations

import asyncio
import io
import logging
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.app import App, serve
from bot.context import BotContext
from bot.delivery.ports import Post, SendResult
from bot.settings import PROJECT_ROOT, Settings
from bot.storage.sql import open_store
from bot.types import ChatRef, Platform
from tests.delivery.support import FakeClock
from tests.ops.conftest import clean_env, free_port, wait_for

STOP_WITHIN = 5.0


@dataclass
class Bot:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1) as resp:
                return bool(resp.status == 200)
        except OSError:
            assert self.process.poll() is None, self.log.read_text()
            return False


StartBot = Callable[..., "Bot"]


@pytest.fixture
def start_bot(tmp_path: Path, kb_dir: Path) -> Iterator[StartBot]:
    started: list[Bot] = []

    def start(*, close_stdin: bool = False) -> Bot:
        port = free_port()
        env = clean_env(
            BANBOT_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
            BANBOT_KNOWLEDGE_DIR=str(kb_dir),
            BANBOT_HEALTH_PORT=str(port),
        )
        log = tmp_path / f"bot-{len(started)}.log"
        with log.open("wb") as err:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"],
                stdin=subprocess.PIPE,  # kept open: the console chat is waiting for input when the signal comes
                stdout=subprocess.DEVNULL,
                stderr=err,
                cwd=PROJECT_ROOT,
                env=env,
            )
        bot = Bot(process, port, log)
        started.append(bot)
        if close_stdin:
            assert process.stdin is not None
            process.stdin.close()
        wait_for(bot.healthy, timeout=20, what="/healthz")
        return bot

    yield start
    for bot in started:
        if bot.process.poll() is None:
            bot.process.kill()
            bot.process.wait()
        if bot.process.stdin is not None:
            bot.process.stdin.close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_stops_the_bot_cleanly_while_the_console_waits_for_input(start_bot: StartBot, sig: int) -> None:
    bot = start_bot()
    bot.process.send_signal(sig)
    assert bot.process.wait(timeout=STOP_WITHIN) == 0
    log = bot.log.read_text()
    assert f"received {signal.Signals(sig).name}: shutting down" in log
    assert "banbot stopped" in log
    assert "Traceback" not in log


def test_run_keeps_serving_after_piped_input_ends(start_bot: StartBot) -> None:
    """A container has no stdin: `banbot run` without tokens keeps its scheduler and health server up."""
    bot = start_bot(close_stdin=True)
    wait_for(lambda: "console input ended" in bot.log.read_text(), what="the end of console input")
    assert bot.healthy()
    bot.process.send_signal(signal.SIGTERM)
    assert bot.process.wait(timeout=STOP_WITHIN) == 0
    assert "banbot stopped" in bot.log.read_text()


@dataclass
class HangingSender:
    """Accepts a post and never finishes sending it (a platform that stopped answering)."""

    platform: Platform = Platform.TELEGRAM
    started: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(self, post: Post) -> SendResult:
        self.started.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


@dataclass
class RecordingSender:
    platform: Platform = Platform.TELEGRAM
    posts: list[Post] = field(default_factory=list)

    async def send(self, post: Post) -> SendResult:
        self.posts.append(post)
        return SendResult.sent()


@dataclass
class FakeAdapter:
    sender: HangingSender | RecordingSender
    connected: bool = False
    stopped: bool = False

    async def start(self) -> None:
        self.connected = True

    async def stop(self) -> None:
        self.connected, self.stopped = False, True


def app_with(settings: Settings, clock: FakeClock, adapter: FakeAdapter) -> App:
    def make(_ctx: BotContext) -> FakeAdapter:
        return adapter

    return App(settings, clock=clock, adapter_factories={"fake": make}, stdout=io.StringIO(), drain_seconds=0.05)


async def test_stop_releases_an_unsent_post_and_a_restart_sends_it_at_once(
    settings: Settings, clock: FakeClock, db_url: str
) -> None:
    chat = ChatRef(Platform.TELEGRAM, "42", is_group=False)
    hanging = FakeAdapter(HangingSender())
    app = app_with(settings, clock, hanging)
    await app.start()
    assert app.ctx is not None and app.engine is not None
    await app.ctx.subscriptions.subscribe(chat, created_by="test", lang="en", time_text="09:00", tz_text="UTC")
    clock.advance(60)
    await app.engine.tick()
    assert isinstance(hanging.sender, HangingSender)
    await asyncio.wait_for(hanging.sender.started.wait(), 5)
    async with asyncio.timeout(STOP_WITHIN):
        await app.stop()
    assert hanging.stopped

    store = await open_store(db_url)
    try:
        assert await store.delivery_states() == {"claimed": 1}  # released, not lost, not marked sent
    finally:
        await store.close()

    recording = FakeAdapter(RecordingSender())
    restarted = app_with(settings, clock, recording)
    await restarted.start()
    try:
        assert restarted.engine is not None
        await restarted.engine.run_once()  # no waiting for the lease (300 s): the claim was released
        assert isinstance(recording.sender, RecordingSender)
        assert [p.chat for p in recording.sender.posts] == [chat]
    finally:
        await restarted.stop()


@dataclass
class BrokenAdapter(FakeAdapter):
    async def start(self) -> None:
        raise RuntimeError("login refused")


async def test_a_failed_start_still_shuts_down_what_started(
    settings: Settings, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    broken = BrokenAdapter(RecordingSender())

    def make(_ctx: BotContext) -> FakeAdapter:
        return broken

    app = App(settings, clock=clock, adapter_factories={"broken": make}, stdout=io.StringIO())
    with caplog.at_level(logging.INFO, logger="bot.app"), pytest.raises(RuntimeError, match="login refused"):
        await serve(app)
    assert broken.stopped
    assert app.engine is None  # the failure came before the scheduler started
    assert "banbot stopped" in caplog.text
