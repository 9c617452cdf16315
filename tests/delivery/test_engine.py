"""The delivery engine end to end over every store, with a fake clock (nothing sleeps for real)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator

import pytest

from bot.delivery.console_sender import ConsoleSender
from bot.delivery.engine import DeliveryEngine
from bot.delivery.ports import SendResult, SendStatus
from bot.delivery.scheduler import Job, TickScheduler
from bot.delivery.subscriptions import SubscriptionService
from bot.knowledge.loader import KnowledgeBase
from bot.storage.base import Store
from bot.storage.records import DeliveryState
from bot.types import ChatRef, Platform
from tests.delivery.support import FakeClock, HangingSender, Rig, make_settings, utc


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(utc(2025, 1, 10, 8, 0))


@pytest.fixture
def rig(store: Store, kb: KnowledgeBase, clock: FakeClock) -> Rig:
    return Rig(store, kb, clock)


def minutes(start: dt.datetime, end: dt.datetime) -> Iterator[dt.datetime]:
    t = start
    while t <= end:
        yield t
        t += dt.timedelta(minutes=1)


async def test_posts_on_time_exactly_once_per_day(rig: Rig, clock: FakeClock) -> None:
    sub_id = await rig.sub("c1")
    clock.set(utc(2025, 1, 10, 8, 59, 30))
    assert (await rig.engine.run_once()).claimed == 0
    clock.set(utc(2025, 1, 10, 9, 0, 20))
    assert (await rig.engine.run_once()).claimed == 1
    assert (await rig.engine.run_once()).claimed == 0
    [sent] = rig.tg.delivered
    assert sent.post.key == f"cd{sub_id}-20250110"
    assert sent.post.reply.text.startswith("9 days until the law taking effect")
    clock.set(utc(2025, 1, 11, 9, 0, 5))
    await rig.engine.run_once()
    assert [s.post.key for s in rig.tg.delivered] == [f"cd{sub_id}-20250110", f"cd{sub_id}-20250111"]
    [row1, row2] = await rig.store.deliveries_of(sub_id)
    assert row1.state is row2.state is DeliveryState.SENT and row1.attempts == 1


@pytest.mark.parametrize(
    ("tz", "at", "start", "end", "expected"),
    [
        ("America/New_York", "02:30", utc(2025, 3, 9, 5, 0), utc(2025, 3, 9, 9, 0), utc(2025, 3, 9, 7, 0)),
        ("America/New_York", "01:30", utc(2025, 11, 2, 5, 0), utc(2025, 11, 2, 7, 0), utc(2025, 11, 2, 5, 30)),
        ("Europe/Berlin", "02:30", utc(2025, 10, 26, 0, 0), utc(2025, 10, 26, 2, 0), utc(2025, 10, 26, 0, 30)),
        ("Australia/Lord_Howe", "02:15", utc(2025, 10, 4, 15, 0), utc(2025, 10, 4, 17, 0), utc(2025, 10, 4, 15, 30)),
    ],
)
async def test_dst_days_post_once_at_the_right_minute(
    rig: Rig, clock: FakeClock, *, tz: str, at: str, start: dt.datetime, end: dt.datetime, expected: dt.datetime
) -> None:
    clock.set(start - dt.timedelta(hours=12))
    await rig.sub("c1", at=at, tz=tz)
    for now in minutes(start, end):  # one tick a minute through the transition
        clock.set(now)
        await rig.engine.run_once()
    assert [s.at for s in rig.tg.delivered] == [expected]


async def test_downtime_within_grace_posts_once_late(rig: Rig, clock: FakeClock) -> None:
    await rig.sub("c1")
    clock.set(utc(2025, 1, 10, 14, 30))  # 5.5 h late
    assert (await rig.engine.run_once()).claimed == 1
    await rig.engine.run_once()
    assert len(rig.tg.delivered) == 1
    assert rig.tg.delivered[0].post.reply.text.startswith("9 days until")  # counted for January 10


async def test_downtime_beyond_grace_skips_and_never_floods(rig: Rig, clock: FakeClock) -> None:
    await rig.sub("c1")
    clock.set(utc(2025, 1, 10, 15, 30))  # 6.5 h late: skipped
    report = await rig.engine.run_once()
    assert (report.claimed, report.skipped) == (0, 1)
    clock.set(utc(2025, 1, 14, 10, 0))  # down for days: only today's post, 1 h late
    report = await rig.engine.run_once()
    assert (report.claimed, report.skipped) == (1, 3)
    assert [s.post.reply.text[:12] for s in rig.tg.delivered] == ["5 days until"]  # January 14's post


async def test_rate_limit_holds_one_chat_without_stalling_others(rig: Rig, clock: FakeClock) -> None:
    for chat in ("a", "b", "c"):
        await rig.sub(chat)
    rig.tg.script["a"] = [SendResult(SendStatus.RATE_LIMITED, retry_after=30)]
    start = utc(2025, 1, 10, 9, 0)
    clock.set(start)
    await rig.engine.run_once()
    times = {s.post.chat.chat_id: (s.at - start).total_seconds() for s in rig.tg.delivered}
    assert times["b"] < 5 and times["c"] < 5
    assert times["a"] >= 30


async def test_transient_errors_back_off_then_succeed_or_give_up(rig: Rig, clock: FakeClock) -> None:
    ok = await rig.sub("flaky")
    bad = await rig.sub("down")
    rig.tg.script["flaky"] = [SendResult(SendStatus.TRANSIENT, detail="502")] * 2
    rig.tg.script["down"] = [SendResult(SendStatus.TRANSIENT, detail="timeout")] * 10
    clock.set(utc(2025, 1, 10, 9, 0))
    await rig.engine.run_once()
    assert [s.post.chat.chat_id for s in rig.tg.delivered] == ["flaky"]
    [row_ok] = await rig.store.deliveries_of(ok)
    [row_bad] = await rig.store.deliveries_of(bad)
    assert (row_ok.state, row_ok.attempts) == (DeliveryState.SENT, 3)
    assert (row_bad.state, row_bad.attempts) == (DeliveryState.FAILED, 5)
    assert row_bad.detail is not None and "timeout" in row_bad.detail
    assert clock.slept >= 2 + 4 + 8 + 16  # exponential backoff, on the fake clock
    assert (await rig.store.get_subscription(bad)) is not None  # a transient failure keeps the subscription


async def test_gone_deactivates_the_chat(rig: Rig, clock: FakeClock) -> None:
    sub_id = await rig.sub("kicked")
    await rig.sub("kicked", at="10:00")
    rig.tg.script["kicked"] = [SendResult(SendStatus.GONE, detail="403 bot was kicked")]
    clock.set(utc(2025, 1, 10, 9, 0))
    await rig.engine.run_once()
    rec = await rig.store.get_subscription(sub_id)
    assert rec is not None and not rec.active and rec.inactive_reason == "403 bot was kicked"
    assert await rig.service.list(ChatRef(Platform.TELEGRAM, "kicked")) == []
    clock.set(utc(2025, 1, 11, 12, 0))
    await rig.engine.run_once()
    assert rig.tg.delivered == []


async def test_migrated_moves_subscriptions_and_resends(rig: Rig, clock: FakeClock) -> None:
    sub_id = await rig.sub("-42")
    rig.tg.script["-42"] = [SendResult(SendStatus.MIGRATED, new_chat_id="-10042")]
    clock.set(utc(2025, 1, 10, 9, 0))
    await rig.engine.run_once()
    assert [s.post.chat.chat_id for s in rig.tg.delivered] == ["-10042"]
    rec = await rig.store.get_subscription(sub_id)
    assert rec is not None and rec.chat.chat_id == "-10042"


async def test_crashed_claims_are_reclaimed_after_the_lease_and_sent_is_final(rig: Rig, clock: FakeClock) -> None:
    for chat in ("a", "b"):
        await rig.sub(chat)
    clock.set(utc(2025, 1, 10, 9, 0))
    crashed = DeliveryEngine(
        rig.store, lambda: rig.kb, {Platform.TELEGRAM: HangingSender()}, clock, rig.settings, sleep=clock.sleep
    )
    assert (await crashed.tick()).claimed == 2
    await asyncio.sleep(0)
    for task in list(crashed._tasks.values()):  # the process "dies": no record, no release
        task.cancel()
    survivor = rig.make_engine()
    clock.advance(rig.settings.delivery_lease_seconds / 2)
    assert (await survivor.run_once()).reclaimed == 0  # lease still valid
    clock.advance(rig.settings.delivery_lease_seconds)
    assert (await survivor.run_once()).reclaimed == 2
    assert sorted(s.post.chat.chat_id for s in rig.tg.delivered) == ["a", "b"]
    clock.advance(rig.settings.delivery_lease_seconds * 3)
    report = await survivor.run_once()
    assert (report.claimed, report.reclaimed) == (0, 0)
    assert len(rig.tg.delivered) == 2


async def test_clean_stop_releases_unsent_claims(rig: Rig, clock: FakeClock) -> None:
    await rig.sub("a")
    clock.set(utc(2025, 1, 10, 9, 0))
    stopping = DeliveryEngine(
        rig.store, lambda: rig.kb, {Platform.TELEGRAM: HangingSender()}, clock, rig.settings, sleep=clock.sleep
    )
    await stopping.tick()
    await asyncio.sleep(0)
    await stopping.stop(drain_seconds=0)
    assert (await rig.engine.run_once()).reclaimed == 1  # at once, not after the lease
    assert len(rig.tg.delivered) == 1


async def test_two_engines_ticking_together_post_once(rig: Rig, clock: FakeClock) -> None:
    for i in range(30):
        await rig.sub(f"c{i}")
    clock.set(utc(2025, 1, 10, 9, 0))
    other = rig.make_engine()
    reports = await asyncio.gather(rig.engine.run_once(), other.run_once())
    assert sum(r.claimed for r in reports) == 30
    assert sorted(s.post.chat.chat_id for s in rig.tg.delivered) == sorted(f"c{i}" for i in range(30))


async def test_claim_batch_bounds_the_queue(store: Store, kb: KnowledgeBase, clock: FakeClock) -> None:
    rig = Rig(store, kb, clock, delivery_claim_batch=10)
    for i in range(25):
        await rig.sub(f"c{i}")
    clock.set(utc(2025, 1, 10, 9, 0))
    claimed = [(await rig.engine.run_once()).claimed for _ in range(4)]
    assert claimed == [10, 10, 5, 0]
    assert len(rig.tg.delivered) == 25


def max_in_window(times: list[dt.datetime], seconds: float) -> int:
    best, j = 0, 0
    for i, t in enumerate(times):
        while (t - times[j]).total_seconds() >= seconds:
            j += 1
        best = max(best, i - j + 1)
    return best


async def test_broadcast_is_paced_per_platform(rig: Rig, clock: FakeClock) -> None:
    for i in range(60):
        await rig.sub(f"t{i}")
    for _ in range(7):  # several posts to one Discord channel: 5 per 5 s
        await rig.sub("chan", at=f"09:0{_}", platform=Platform.DISCORD)
    clock.set(utc(2025, 1, 10, 9, 10))
    await rig.engine.run_once()
    tg_times = sorted(s.at for s in rig.tg.attempts)
    assert len(tg_times) == 60 and max_in_window(tg_times, 1.0) <= 25
    dc_times = sorted(s.at for s in rig.dc.attempts)
    assert len(dc_times) == 7 and max_in_window(dc_times, 5.0) <= 5


async def test_console_sender_prints_the_post(store: Store, kb: KnowledgeBase, clock: FakeClock) -> None:
    lines: list[str] = []
    service = SubscriptionService(store, lambda: kb, clock, make_settings())
    await service.subscribe(ChatRef(Platform.CONSOLE, "console", None, False), created_by="me", lang="zh")
    engine = DeliveryEngine(
        store, lambda: kb, {Platform.CONSOLE: ConsoleSender(lines.append)}, clock, make_settings(), sleep=clock.sleep
    )
    clock.set(utc(2025, 1, 10, 9, 0))
    await engine.run_once()
    assert (
        len(lines) == 1 and "距离法律生效（2025年1月19日）还有 9 天" in lines[0] and "https://a.example/x" in lines[0]
    )


async def test_scheduler_runs_jobs_at_start_or_after_a_period_and_stops() -> None:
    ticked = asyncio.Event()
    beats = 0

    async def tick() -> None:
        ticked.set()

    async def beat() -> None:
        nonlocal beats
        beats += 1

    scheduler = TickScheduler([Job("tick", tick, 3600), Job("heartbeat", beat, 3600, at_start=False)])
    scheduler.start()
    await asyncio.wait_for(ticked.wait(), timeout=10)  # the tick runs at start, not after a period
    assert scheduler.running and beats == 0  # the heartbeat waits its period
    await scheduler.stop()
    assert not scheduler.running


async def test_engine_start_and_stop(rig: Rig) -> None:
    await rig.engine.start()
    assert rig.engine.running
    await rig.engine.stop()
    assert not rig.engine.running


async def test_retention_prunes_old_votes_with_the_delivery_log(rig: Rig, clock: FakeClock) -> None:
    keep = dt.timedelta(days=rig.settings.feedback_retention_days)
    await rig.store.add_feedback(Platform.TELEGRAM, "old", "v", True, clock() - keep - dt.timedelta(days=1))
    await rig.store.add_feedback(Platform.TELEGRAM, "recent", "v", True, clock() - keep + dt.timedelta(days=1))
    await rig.engine.tick()
    assert [c.entry_id for c in await rig.store.feedback_counts()] == ["recent"]
