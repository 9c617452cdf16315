"""/healthz, /readyz and /metrics of the whole app, started in-process on a free port."""

from __future__ import annotations

import io
import json
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.console import CONSOLE_CHAT
from bot.app import App
from bot.context import BotContext
from bot.delivery.ports import Post, SendResult, SendStatus
from bot.ops.metrics import MeteredSender, Metrics
from bot.settings import Settings
from bot.storage.sql import SqlStore, open_store
from bot.types import Platform
from tests.delivery.support import FakeClock

METRIC_SAMPLES = {
    "banbot_questions_total",
    "banbot_answer_latency_seconds_bucket",
    "banbot_answer_latency_seconds_count",
    "banbot_answer_latency_seconds_sum",
    "banbot_feedback_total",
    "banbot_posts_total",
    "banbot_rate_limit_waits_total",
    "banbot_scheduler_lag_seconds",
    "banbot_subscriptions",
    "banbot_knowledge_entries",
}
"""The operator interface: dashboards and alerts use these names."""


async def get(app: App, path: str) -> tuple[int, str]:
    assert app.health is not None
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{app.health.port}{path}") as resp,
    ):
        return resp.status, await resp.text()


async def get_json(app: App, path: str) -> tuple[int, dict[str, Any]]:
    status, text = await get(app, path)
    body = json.loads(text)
    assert isinstance(body, dict)
    return status, body


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_port_0_binds_a_free_port(app: App) -> None:
    assert app.health is not None
    assert app.health.port > 0


async def test_healthz_says_alive_with_versions(app: App) -> None:
    assert app.ctx is not None
    status, body = await get_json(app, "/healthz")
    assert status == 200
    assert body["status"] == "ok"
    assert body["version"]
    assert body["knowledge_version"] == app.ctx.knowledge.kb.version


async def test_readyz_checks_database_scheduler_and_knowledge(app: App) -> None:
    assert app.ctx is not None
    status, body = await get_json(app, "/readyz")
    assert status == 503, body  # console only: no adapter serves anyone (see test_readiness.py)
    assert body["status"] == "not ready"
    assert body["checks"] == {"database": True, "scheduler": True, "knowledge": True, "adapters": False}
    assert body["knowledge_version"] == app.ctx.knowledge.kb.version


async def test_metrics_count_questions_feedback_posts_and_subscriptions(app: App, clock: FakeClock) -> None:
    ctx, engine = app.ctx, app.engine
    assert ctx is not None and engine is not None
    await ctx.ask("What is RedNote?", platform=Platform.CONSOLE)
    await ctx.ask("What's the best pizza topping?", platform=Platform.TELEGRAM)
    await ctx.feedback.record_feedback(Platform.DISCORD, "rednote-what", True, voter="1")
    await ctx.feedback.record_feedback(Platform.DISCORD, "rednote-what", False, voter="2")
    await ctx.feedback.record_feedback(Platform.TELEGRAM, "court-ruling", True, voter="1")
    await ctx.subscriptions.subscribe(CONSOLE_CHAT, created_by="test", lang="en", time_text="09:00", tz_text="UTC")
    clock.advance(60)  # 09:00:30: the post is due
    await engine.run_once()
    await ctx.drain()

    status, text = await get(app, "/metrics")
    assert status == 200
    got = samples(text)
    assert {name for name, _ in got} >= METRIC_SAMPLES
    assert got["banbot_questions_total", frozenset({("platform", "console"), ("outcome", "answered")})] == 1
    assert got["banbot_questions_total", frozenset({("platform", "telegram"), ("outcome", "abstained")})] == 1
    assert got["banbot_answer_latency_seconds_count", frozenset()] == 2
    assert got["banbot_feedback_total", frozenset({("platform", "discord"), ("vote", "helpful")})] == 1
    assert got["banbot_feedback_total", frozenset({("platform", "discord"), ("vote", "unhelpful")})] == 1
    assert got["banbot_feedback_total", frozenset({("platform", "telegram"), ("vote", "helpful")})] == 1
    assert got["banbot_posts_total", frozenset({("platform", "console"), ("result", "sent")})] == 1
    assert got["banbot_posts_total", frozenset({("platform", "console"), ("result", "gone")})] == 0
    assert got["banbot_rate_limit_waits_total", frozenset({("platform", "console")})] == 0
    assert got["banbot_subscriptions", frozenset({("state", "active")})] == 1
    assert got["banbot_subscriptions", frozenset({("state", "paused")})] == 0
    assert got["banbot_knowledge_entries", frozenset()] == len(ctx.knowledge.kb.entries)
    assert got["banbot_scheduler_lag_seconds", frozenset()] >= 0


@dataclass
class ScriptedSender:
    platform: Platform
    results: list[SendResult]

    async def send(self, post: Post) -> SendResult:
        return self.results.pop(0)


async def test_metered_sender_counts_results_and_rate_limit_waits() -> None:
    metrics = Metrics()
    results = [SendResult(SendStatus.RATE_LIMITED, retry_after=3), SendResult(SendStatus.GONE), SendResult.sent()]
    sender = MeteredSender(ScriptedSender(Platform.TELEGRAM, results), metrics)
    post = Post(CONSOLE_CHAT, reply=None, key="k")  # type: ignore[arg-type]  # the sender never reads it
    for _ in range(3):
        await sender.send(post)
    got = samples(metrics.render().decode())
    tg = ("platform", "telegram")
    assert got["banbot_rate_limit_waits_total", frozenset({tg})] == 1
    for result in ("rate_limited", "gone", "sent"):
        assert got["banbot_posts_total", frozenset({tg, ("result", result)})] == 1
    assert got["banbot_posts_total", frozenset({tg, ("result", "transient")})] == 0


class SwitchableStore(SqlStore):
    """The real store, with switches: `down` makes the database unreachable, `full` makes it refuse every
    write (as a full disk does) while reads still work."""

    down = False
    full = False

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine)

        @event.listens_for(engine.sync_engine, "before_cursor_execute")
        def switch(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if self.down:
                raise sqlite3.OperationalError("unable to open database file")
            if self.full and statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
                raise sqlite3.OperationalError("database or disk is full")


@dataclass
class FakeAdapter:
    """An adapter whose connection the test controls."""

    sender: ScriptedSender = field(default_factory=lambda: ScriptedSender(Platform.TELEGRAM, []))
    connected: bool = False
    stopped: bool = False

    async def start(self) -> None:
        self.connected = True

    async def stop(self) -> None:
        self.connected = False
        self.stopped = True


@pytest.fixture
async def switchable(db_url: str) -> SwitchableStore:
    base = await open_store(db_url)
    return SwitchableStore(base.engine)


@pytest.fixture
async def app_with_adapter(
    settings: Settings, clock: FakeClock, switchable: SwitchableStore
) -> AsyncIterator[tuple[App, FakeAdapter]]:
    adapter = FakeAdapter()

    def make(_ctx: BotContext) -> FakeAdapter:
        return adapter

    app = App(settings, clock=clock, store=switchable, adapter_factories={"fake": make}, stdout=io.StringIO())
    await app.start()
    try:
        yield app, adapter
    finally:
        await app.stop()
    assert adapter.stopped


async def test_readyz_is_503_when_an_adapter_disconnects(app_with_adapter: tuple[App, FakeAdapter]) -> None:
    app, adapter = app_with_adapter
    assert app.console is None  # an adapter is configured: no console chat
    status, body = await get_json(app, "/readyz")
    assert status == 200 and body["checks"]["adapter:fake"] is True
    adapter.connected = False
    status, body = await get_json(app, "/readyz")
    assert status == 503
    assert body["status"] == "not ready"
    assert body["checks"] == {"database": True, "scheduler": True, "knowledge": True, "adapter:fake": False}
    assert (await get(app, "/healthz"))[0] == 200  # alive, just not ready


async def test_readyz_is_503_when_the_database_is_unreachable(
    app_with_adapter: tuple[App, FakeAdapter], switchable: SwitchableStore
) -> None:
    app, _ = app_with_adapter
    switchable.down = True
    status, body = await get_json(app, "/readyz")
    assert status == 503
    assert body["checks"]["database"] is False
    assert body["checks"]["scheduler"] is True
    status, text = await get(app, "/metrics")  # still served: counters do not need the database
    assert status == 200 and "banbot_questions_total" in text
    switchable.down = False
    assert (await get(app, "/readyz"))[0] == 200


async def test_readyz_is_503_while_the_database_cannot_be_written(
    app_with_adapter: tuple[App, FakeAdapter], switchable: SwitchableStore
) -> None:
    app, _ = app_with_adapter
    switchable.full = True
    await switchable.ping()  # reading still works
    status, body = await get_json(app, "/readyz")
    assert status == 503 and body["checks"]["database"] is False
    switchable.full = False
    assert (await get(app, "/readyz"))[0] == 200


async def test_readyz_is_503_once_the_scheduler_stopped(app: App) -> None:
    assert app.engine is not None
    await app.engine.stop(0)
    status, body = await get_json(app, "/readyz")
    assert status == 503 and body["checks"]["scheduler"] is False
