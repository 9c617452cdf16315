"""What the adapters and the composition root share about connecting to a platform: the error that means
"try again later", the backoff between tries, and the API's health as the adapter last saw it.

An adapter's `start()` raises PlatformUnavailableError when its platform cannot be reached (network down, API
unreachable, a 5xx): the caller retries with a Backoff, logging one WARNING line a try. Any other error
(a token the platform refuses, a bad URL setting) is not retried. Once started, an adapter is not ready while
its platform's API answers 5xx or nothing at all (ApiHealth).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable

from bot.errors import BanbotError

log = logging.getLogger(__name__)

RECHECK_SECONDS = 5.0
"""While an API is unhealthy, it is asked again this often."""
INITIAL_DELAY = 1.0
MAX_DELAY = 300.0
"""Discord resets a token after 1,000 IDENTIFYs in a day: at most one try per 5 minutes in a failure loop
stays far below that (about 290)."""


class PlatformUnavailableError(BanbotError):
    """The platform cannot be reached now; the message is one line for the operator (no secrets)."""


def one_line(exc: BaseException) -> str:
    """`Type: message` on one line, for WARNING lines without a traceback."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Backoff:
    """Exponential delays between tries: initial, doubling, capped at `maximum`, with up to `jitter` of
    each delay taken off at random so that several processes do not retry in step."""

    def __init__(
        self,
        initial: float = INITIAL_DELAY,
        maximum: float = MAX_DELAY,
        *,
        jitter: float = 0.2,
        rand: Callable[[], float] = random.random,
    ) -> None:
        if initial <= 0 or maximum < initial or not 0 <= jitter < 1:
            raise ValueError("a backoff needs 0 < initial <= maximum and 0 <= jitter < 1")
        self.initial = initial
        self.maximum = maximum
        self._jitter = jitter
        self._rand = rand
        self._next = initial

    def next(self) -> float:
        """The delay before the next try; each call doubles the following one, up to the maximum."""
        delay = self._next
        self._next = min(self.maximum, delay * 2)
        return delay * (1 - self._jitter * self._rand())

    def reset(self) -> None:
        """After a success: the next failure starts again from the initial delay."""
        self._next = self.initial


class ApiHealth:
    """How the platform's API answered the adapter's last request: any answer below 500 is healthy (a 4xx or a
    429 is still an answer); a 5xx (an outage behind the platform's front end usually looks like a 502) or no
    answer at all is not. The adapter is not ready meanwhile.

    While unhealthy, `recheck` (a cheap API call, whose answer the adapter's transport reports here like any
    other) runs every `interval` seconds, so health comes back as soon as the API answers normally, even when
    nothing else calls it (an idle bot, a webhook). One log line per change.
    """

    def __init__(
        self, name: str, recheck: Callable[[], Awaitable[object]], *, interval: float = RECHECK_SECONDS
    ) -> None:
        self.name = name
        self.ok = True
        self._recheck = recheck
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    def answered(self, status: int) -> None:
        if status >= 500:
            self._down(f"answered HTTP {status}")
        elif not self.ok:
            self.ok = True
            log.info("%s answers again: ready", self.name)

    def unanswered(self, reason: str) -> None:
        self._down(f"did not answer ({reason})")

    def _down(self, why: str) -> None:
        if self.ok:
            log.warning("%s %s: not ready until it answers normally", self.name, why)
        self.ok = False
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._rechecking(), name=f"recheck {self.name}")

    async def _rechecking(self) -> None:
        while not self.ok:
            await asyncio.sleep(self._interval)
            with contextlib.suppress(Exception):  # a failure was reported to `unanswered`/`answered` already
                await self._recheck()

    async def close(self) -> None:
        """Stop rechecking (the adapter stops)."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
