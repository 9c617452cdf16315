from __future__ import annotations

import asyncio
import heapq
from collections.abc import Coroutine
from typing import Any

from bot.delivery.ratelimit import Pacer, PlatformLimits, SlidingWindow
from bot.types import ChatRef, Platform


class VirtualTime:
    """Sleepers wake in time order; time jumps to the next wake-up once every task is blocked (no I/O here)."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = 0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._seq += 1
        heapq.heappush(self._sleepers, (self.now + seconds, self._seq, future))
        await future

    async def run(self, *coros: Coroutine[Any, Any, None]) -> None:
        tasks = [asyncio.create_task(c) for c in coros]
        while not all(t.done() for t in tasks):
            for _ in range(20):
                await asyncio.sleep(0)
            if self._sleepers:
                at, _, future = heapq.heappop(self._sleepers)
                self.now = max(self.now, at)
                future.set_result(None)
        await asyncio.gather(*tasks)


def max_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while t - times[j] >= window:
            j += 1
        best = max(best, i - j + 1)
    return best


def test_sliding_window() -> None:
    w = SlidingWindow(2, 1.0)
    assert w.earliest("k", 0.0) == 0.0
    w.commit("k", 0.0)
    w.commit("k", 0.1)
    assert 1.0 < w.earliest("k", 0.2) < 1.001
    assert w.earliest("other", 0.2) == 0.2
    w.block("other", 5.0)
    assert w.earliest("other", 0.2) == 5.0
    w.prune(10.0)
    assert w.earliest("k", 10.0) == 10.0
    assert SlidingWindow.per_second(0.5).window == 2.0


async def test_pacer_keeps_every_limit_and_holds_only_one_chat() -> None:
    vt = VirtualTime()
    pacer = Pacer(PlatformLimits(overall=(25, 1.0), per_chat=(1, 1.0), per_group=(20, 60.0)), vt, vt.sleep)
    sent: dict[str, list[float]] = {}

    async def send(chat: ChatRef) -> None:
        await pacer.acquire(chat)
        sent.setdefault(chat.chat_id, []).append(vt.now)

    group = ChatRef(Platform.TELEGRAM, "group", is_group=True)
    held = ChatRef(Platform.TELEGRAM, "held", is_group=False)
    pacer.hold(held, 30.0)
    chats = [ChatRef(Platform.TELEGRAM, f"u{i}", is_group=False) for i in range(100)]
    await vt.run(*(send(c) for c in [*chats, *[group] * 22, held]))
    everything = [t for times in sent.values() for t in times]
    assert len(everything) == 123
    assert max_in_window(everything, 1.0) <= 25
    assert max_in_window(sent["group"], 1.0) <= 1 and max_in_window(sent["group"], 60.0) <= 20
    assert sent["held"][0] >= 30.0
    assert max(t for c in chats for t in sent[c.chat_id]) < 5.0  # the held chat and the group never stalled them
