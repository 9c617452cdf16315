"""What the adapters and the composition root share about connecting to a platform: the error that means
"try again later" and the backoff between tries.

An adapter's `start()` raises PlatformUnavailableError when its platform cannot be reached (network down, API
unreachable, a 5xx): the caller retries with a Backoff, logging one WARNING line a try. Any other error
(a token the platform refuses, a bad URL setting) is not retried.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from bot.errors import BanbotError

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
