"""Per-user rate limiting against spam: a sliding window with an injected monotonic clock.

Every call costs O(1) amortised, however many users are active: users are kept in the order of their last
allowed event, so the ones whose window has passed are always at the front and are dropped from there. A
hard cap on the number of users tracked bounds memory under a flood of new ids (the least recently active
user is forgotten first, which at worst gives that user a fresh allowance).
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

DEFAULT_MAX_KEYS = 100_000


@dataclass(slots=True)
class _Bucket:
    events: deque[float] = field(default_factory=deque)
    noticed_at: float | None = None


class UserRateLimiter:
    """Allows at most `limit` events per `window` seconds for each key (a user id).

    A refused user should be told once per window, not once per message: `notice_due(key)` says when.
    """

    def __init__(
        self,
        limit: int,
        window: float,
        clock: Callable[[], float] = time.monotonic,
        *,
        max_keys: int = DEFAULT_MAX_KEYS,
    ) -> None:
        if limit < 1 or window <= 0 or max_keys < 1:
            raise ValueError("a rate limit needs limit >= 1, window > 0 and max_keys >= 1")
        self._limit = limit
        self._window = window
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()  # oldest last allowed event first

    def __len__(self) -> int:
        """How many users are tracked."""
        return len(self._buckets)

    def allow(self, key: str) -> bool:
        """Record an event for `key` and say whether it is within the limit."""
        now = self._clock()
        self._forget_idle(now)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket()
            if len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
        if self._full(bucket, now):
            return False
        bucket.events.append(now)
        self._buckets.move_to_end(key)
        return True

    def notice_due(self, key: str) -> bool:
        """After `allow(key)` refused: True when the user has not been told so within the window (and now
        counts as told); False for every further refusal in that window: one notice per window."""
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None or not self._full(bucket, now):
            return False  # not limited
        if bucket.noticed_at is not None and now - bucket.noticed_at < self._window:
            return False
        bucket.noticed_at = now
        return True

    def _full(self, bucket: _Bucket, now: float) -> bool:
        """Whether the user used up the allowance: events older than the window are dropped first."""
        events = bucket.events
        while events and now - events[0] >= self._window:
            events.popleft()
        return len(events) >= self._limit

    def _forget_idle(self, now: float) -> None:
        """Drop users whose last allowed event left the window: they are at the front, oldest first."""
        buckets = self._buckets
        while buckets:
            bucket = next(iter(buckets.values()))
            if bucket.events and now - bucket.events[-1] < self._window:
                return
            buckets.popitem(last=False)
