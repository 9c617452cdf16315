"""`banbot bench limiter`: the per-user rate limiter at 100,000 active users, as it runs on the event loop."""

from __future__ import annotations

import statistics
import time

from bot.bench.answers import percentile
from bot.core.ratelimit import UserRateLimiter


def run_limiter_bench(users: int = 100_000, calls: int = 200_000) -> str:
    """The per-user limiter with `users` active users: time per `allow()` call, as it runs on the event loop."""
    clock = _BenchClock()
    limiter = UserRateLimiter(8, 60.0, clock, max_keys=users)
    for n in range(users):  # every user active within the window
        clock.now = n * (30.0 / users)
        limiter.allow(f"u{n}")
    samples: list[float] = []
    for n in range(calls):
        clock.now = 30.0 + n * (60.0 / calls)  # the window slides past the first users: they expire
        key = f"u{(n * 7919) % (2 * users)}"  # half known users, half new ones (the cap evicts)
        start = time.perf_counter_ns()
        limiter.allow(key)
        samples.append((time.perf_counter_ns() - start) / 1e3)
    samples.sort()
    p50, p99 = (percentile(samples, p) for p in (50, 99))
    return (
        f"limiter: {calls} allow() calls with {users} active users (cap {users}, {len(limiter)} tracked after)\n"
        f"  p50 {p50:.2f} µs  p99 {p99:.2f} µs  max {samples[-1]:.2f} µs  mean {statistics.fmean(samples):.2f} µs"
    )


class _BenchClock:
    now = 0.0

    def __call__(self) -> float:
        return self.now
