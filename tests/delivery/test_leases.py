"""Leases and storage outages: nothing twice, nothing lost, crashed work taken over in well under a minute.

Every test runs over every store with a fake clock: the engine's sleeps (send backoff, record retries) move
it forward instead of waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections import Counter

import pytest

from bot.delivery.engine import DeliveryEngine
from bot.delivery.ports import Post, SendResult
from bot.knowledge.loader import KnowledgeBase
from bot.storage.base import Store
from bot.storage.records import DeliveryState
from bot.types import Platform
from tests.delivery.support import FakeClock, HangingSender, OutageStore, RecordingSender, Rig, utc

DUE = utc(2025, 1, 10, 9, 0)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(utc(2025, 1, 10, 8, 0))


@pytest.fixture
def rig(store: Store, kb: KnowledgeBase, clock: FakeClock) -> Rig:
    return Rig(store, kb, clock)


class OutageMidBroadcast(RecordingSender):
    """Delivers every post; after the `at`-th one the database goes away for `seconds`."""

    def __init__(self, clock: FakeClock, outage: OutageStore, at: int, seconds: float) -> None:
        super().__init__(Platform.TELEGRAM, clock)
        self._outage, self._at, self._seconds = outage, at, seconds

    async def send(self, post: Post) -> SendResult:
        result = await super().send(post)
        if len(self.delivered) == self._at:
            self._outage.fail_for(self._seconds)
        return result


async def test_a_database_outage_mid_broadcast_sends_nothing_twice(rig: Rig, clock: FakeClock) -> None:
    chats = [f"c{i}" for i in range(20)]
    for chat in chats:
        await rig.sub(chat)
    outage = OutageStore(rig.store, clock)
    sender = OutageMidBroadcast(clock, outage, at=5, seconds=120)
    engine = DeliveryEngine(
        outage,  # type: ignore[arg-type]  # the real store, behind a switch
        lambda: rig.kb,
        {Platform.TELEGRAM: sender},
        clock,
        rig.settings,
        sleep=clock.sleep,
    )
    clock.set(DUE)
    for _ in range(15):  # a tick a minute for a quarter of an hour: the outage and long after it
        with contextlib.suppress(ConnectionError):  # the scheduler logs it and ticks again
            await engine.tick()
        await engine.wait_idle()
        clock.set(max(clock(), clock().replace(second=0) + dt.timedelta(minutes=1)))
    assert outage.refused > 0  # the outage did hit the broadcast
    posts = Counter(s.post.chat.chat_id for s in sender.delivered)
    assert posts == Counter(chats)  # every chat got its post, and only one
    assert await rig.store.delivery_states() == {"sent": 20}  # and what was sent is recorded as sent


async def test_crashed_claims_are_taken_over_in_well_under_a_minute(rig: Rig, clock: FakeClock) -> None:
    for chat in ("a", "b"):
        await rig.sub(chat)
    clock.set(DUE)
    crashed = DeliveryEngine(
        rig.store, lambda: rig.kb, {Platform.TELEGRAM: HangingSender()}, clock, rig.settings, sleep=clock.sleep
    )
    assert (await crashed.tick()).claimed == 2
    await asyncio.sleep(0)
    for task in list(crashed._tasks.values()):  # the process dies: no heartbeat, no record, no release
        task.cancel()
    crashed_at = clock()
    survivor = rig.make_engine()
    while not rig.tg.delivered:
        assert clock() - crashed_at < dt.timedelta(seconds=60), "the crashed claims were not taken over"
        clock.advance(survivor.heartbeat_seconds)
        await survivor.heartbeat()
        await survivor.wait_idle()
    assert sorted(s.post.chat.chat_id for s in rig.tg.delivered) == ["a", "b"]


class GatedSender(RecordingSender):
    """Holds every send until the test opens the gate (a slow platform, a long 429)."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(Platform.TELEGRAM, clock)
        self.gate = asyncio.Event()
        self.waiting = 0

    async def send(self, post: Post) -> SendResult:
        self.waiting += 1
        await self.gate.wait()
        return await super().send(post)


async def test_a_live_process_keeps_its_claims_however_long_a_send_takes(rig: Rig, clock: FakeClock) -> None:
    await rig.sub("slow")
    clock.set(DUE)
    slow = GatedSender(clock)
    owner = DeliveryEngine(rig.store, lambda: rig.kb, {Platform.TELEGRAM: slow}, clock, rig.settings, sleep=clock.sleep)
    other = rig.make_engine()
    assert (await owner.tick()).claimed == 1
    for _ in range(60):  # five minutes of heartbeats from both, ten times the lease
        clock.advance(owner.heartbeat_seconds)
        await owner.heartbeat()
        assert await other.heartbeat() == 0
    slow.gate.set()
    await owner.wait_idle()
    assert [s.post.chat.chat_id for s in slow.delivered] == ["slow"] and rig.tg.delivered == []


async def test_a_single_process_store_takes_stale_claims_at_start(rig: Rig, clock: FakeClock) -> None:
    sub_id = await rig.sub("a")
    clock.set(DUE)
    crashed = DeliveryEngine(
        rig.store, lambda: rig.kb, {Platform.TELEGRAM: HangingSender()}, clock, rig.settings, sleep=clock.sleep
    )
    await crashed.tick()
    await asyncio.sleep(0)
    for task in list(crashed._tasks.values()):
        task.cancel()
    restarted = rig.make_engine()
    taken = await restarted.take_over_stale_claims()
    if rig.store.shared:  # PostgreSQL: another live process may hold them; wait for the lease
        assert taken == 0
        assert (await restarted.run_once()).reclaimed == 0
    else:  # SQLite, memory: only this process uses the store, so whoever claimed them is gone
        assert taken == 1
        assert (await restarted.run_once()).reclaimed == 1
        assert [s.post.chat.chat_id for s in rig.tg.delivered] == ["a"]
        [row] = await rig.store.deliveries_of(sub_id)
        assert row.state is DeliveryState.SENT
