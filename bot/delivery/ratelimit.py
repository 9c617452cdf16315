"""Rate limiters for broadcasts, with an injected clock and sleep so tests never wait for real.

`SlidingWindow` allows at most `limit` events in any window of `window` seconds (measured by the clock it
is given), per key. `Pacer` combines one overall window with per-chat windows for one platform and hands
out send slots: a chat that must wait (its own limit, or a 429 retry-after) waits alone, holding nobody
else up, while the overall limit is shared fairly in arrival order.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from bot.types import ChatRef, Platform, Sleep

Now = Callable[[], float]

_EPS = 1e-6


class SlidingWindow:
    """At most `limit` events per `window` seconds for each key; `block` holds a key back until a moment."""

    def __init__(self, limit: int, window: float) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit must be >= 1 and window > 0")
        self.limit = limit
        self.window = window
        self._events: dict[str, deque[float]] = {}
        self._blocked: dict[str, float] = {}

    @classmethod
    def per_second(cls, rate: float) -> SlidingWindow:
        """A window for `rate` events a second: floor(rate) a second, or 1 per 1/rate seconds below 1."""
        if rate >= 1:
            return cls(math.floor(rate), 1.0)
        return cls(1, 1.0 / rate)

    def earliest(self, key: str, now: float) -> float:
        """The earliest moment >= now at which one more event for `key` is allowed."""
        at = max(now, self._blocked.get(key, now))
        events = self._events.get(key)
        if events is not None:
            while events and events[0] <= now - self.window:
                events.popleft()
            if len(events) >= self.limit:
                at = max(at, events[-self.limit] + self.window + _EPS)
        return at

    def commit(self, key: str, now: float) -> None:
        self._events.setdefault(key, deque()).append(now)

    def block(self, key: str, until: float) -> None:
        self._blocked[key] = max(until, self._blocked.get(key, until))

    def prune(self, now: float) -> None:
        """Forget keys with no event in the window and no block in force (keeps memory bounded)."""
        for key in [k for k, ev in self._events.items() if not ev or ev[-1] <= now - self.window]:
            del self._events[key]
        for key in [k for k, until in self._blocked.items() if until <= now]:
            del self._blocked[key]


@dataclass(frozen=True, slots=True)
class PlatformLimits:
    """Send limits for one platform: overall, per chat, and per group chat."""

    overall: tuple[int, float]
    per_chat: tuple[int, float] | None = None
    per_group: tuple[int, float] | None = None


class Pacer:
    """Hands out send slots for one platform under its limits."""

    def __init__(self, limits: PlatformLimits, now: Now, sleep: Sleep) -> None:
        self._now = now
        self._sleep = sleep
        limit, window = limits.overall
        self._overall = [SlidingWindow(limit, window)]
        if limit >= 10:  # smooth: at most a tenth of the budget in any tenth of the window, no bursts
            self._overall.append(SlidingWindow(math.ceil(limit / 10), window / 10))
        self._chat = SlidingWindow(*limits.per_chat) if limits.per_chat else None
        self._group = SlidingWindow(*limits.per_group) if limits.per_group else None
        self._holds = SlidingWindow(1, 1.0)  # only its blocks are used: retry-after per chat
        self._overall_lock = asyncio.Lock()
        self._chat_locks: dict[str, tuple[asyncio.Lock, int]] = {}
        self._acquired = 0

    def _chat_windows(self, chat: ChatRef) -> list[SlidingWindow]:
        windows = [w for w in (self._chat,) if w is not None]
        if self._group is not None and chat.is_group:
            windows.append(self._group)
        return windows

    async def _wait_until(self, ready: Callable[[float], float]) -> float:
        while True:
            now = self._now()
            at = ready(now)
            if at <= now:
                return now
            await self._sleep(at - now)

    async def acquire(self, chat: ChatRef) -> None:
        """Wait for this chat's turn, then for an overall slot; record the send in every window."""
        key = chat_key(chat)
        lock, users = self._chat_locks.get(key, (asyncio.Lock(), 0))
        self._chat_locks[key] = (lock, users + 1)
        try:
            async with lock:
                windows = self._chat_windows(chat)

                def chat_ready(now: float) -> float:
                    return max([self._holds.earliest(key, now), *(w.earliest(key, now) for w in windows)])

                await self._wait_until(chat_ready)
                async with self._overall_lock:
                    now = await self._wait_until(lambda t: max(w.earliest("", t) for w in self._overall))
                    for w in self._overall:
                        w.commit("", now)
                for w in windows:
                    w.commit(key, now)
        finally:
            lock, users = self._chat_locks[key]
            if users <= 1:
                del self._chat_locks[key]
            else:
                self._chat_locks[key] = (lock, users - 1)
        self._acquired += 1
        if self._acquired % 1000 == 0:
            now = self._now()
            for window in (self._chat, self._group, self._holds):
                if window is not None:
                    window.prune(now)

    def hold(self, chat: ChatRef, seconds: float) -> None:
        """A 429 for this chat: no send to it for `seconds` (other chats carry on)."""
        self._holds.block(chat_key(chat), self._now() + max(0.0, seconds))


def chat_key(chat: ChatRef) -> str:
    return f"{chat.platform.value}:{chat.chat_id}"


def platform_limits(
    platform: Platform,
    *,
    telegram_rate_global: float,
    telegram_rate_per_chat: float,
    telegram_rate_per_group_minute: int,
    discord_rate_global: float,
    discord_rate_per_channel_5s: int,
) -> PlatformLimits:
    """The defaults follow the platforms' documented limits with some headroom (DESIGN.md §8)."""
    if platform is Platform.TELEGRAM:
        tg_chat = SlidingWindow.per_second(telegram_rate_per_chat)
        tg_all = SlidingWindow.per_second(telegram_rate_global)
        return PlatformLimits(
            overall=(tg_all.limit, tg_all.window),
            per_chat=(tg_chat.limit, tg_chat.window),
            per_group=(telegram_rate_per_group_minute, 60.0),
        )
    if platform is Platform.DISCORD:
        dc_all = SlidingWindow.per_second(discord_rate_global)
        return PlatformLimits(overall=(dc_all.limit, dc_all.window), per_chat=(discord_rate_per_channel_5s, 5.0))
    return PlatformLimits(overall=(1000, 1.0))
