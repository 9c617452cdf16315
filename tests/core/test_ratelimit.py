"""The per-user limiter: sliding window, idle users forgotten as time passes, a hard cap, one notice per window.

Its cost per call is measured by `banbot bench limiter`, not here."""

from __future__ import annotations

import pytest

from bot.bench.limiter import run_limiter_bench
from bot.core.ratelimit import UserRateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_sliding_window_per_user() -> None:
    clock = Clock()
    limiter = UserRateLimiter(2, 60.0, clock)
    assert limiter.allow("a") and limiter.allow("a")
    assert not limiter.allow("a")
    assert limiter.allow("b")  # each user has their own allowance
    clock.now += 59.9
    assert not limiter.allow("a")
    clock.now += 0.1
    assert limiter.allow("a") and limiter.allow("a")
    assert not limiter.allow("a")


def test_idle_users_are_forgotten_as_time_passes() -> None:
    clock = Clock()
    limiter = UserRateLimiter(3, 60.0, clock)
    for n in range(500):
        clock.now += 0.1
        limiter.allow(f"u{n}")
    assert len(limiter) == 500
    clock.now += 30.0  # the first ~200 users' windows have passed
    limiter.allow("late")
    assert 290 < len(limiter) < 320
    clock.now += 60.0
    limiter.allow("later")
    assert len(limiter) == 1


def test_refused_events_do_not_extend_the_window() -> None:
    clock = Clock()
    limiter = UserRateLimiter(1, 60.0, clock)
    assert limiter.allow("a")
    for _ in range(10):
        clock.now += 5.0
        assert not limiter.allow("a")
    clock.now += 10.0  # 60 s after the allowed event
    assert limiter.allow("a")


def test_hard_cap_forgets_the_least_recently_active_user() -> None:
    clock = Clock()
    limiter = UserRateLimiter(1, 60.0, clock, max_keys=3)
    for key in ("a", "b", "c"):
        assert limiter.allow(key)
    assert not limiter.allow("a")  # limited: still tracked
    assert limiter.allow("d")  # a fourth user: the oldest ("a") is forgotten
    assert len(limiter) == 3
    assert limiter.allow("a")  # a fresh allowance: the price of bounded memory
    assert len(limiter) == 3 and not limiter.allow("c") and not limiter.allow("d")


def test_one_notice_per_window() -> None:
    clock = Clock()
    limiter = UserRateLimiter(1, 60.0, clock)
    assert not limiter.notice_due("a")  # never limited
    assert limiter.allow("a")
    notices = []
    for _ in range(5):
        clock.now += 1.0
        assert not limiter.allow("a")
        notices.append(limiter.notice_due("a"))
    assert notices == [True, False, False, False, False]
    clock.now += 60.0
    assert limiter.allow("a")
    assert not limiter.allow("a")
    assert limiter.notice_due("a")  # a new window: a new notice
    roomy = UserRateLimiter(2, 60.0, clock)
    assert roomy.allow("b") and not roomy.notice_due("b")  # b has allowance left: nothing to tell


@pytest.mark.parametrize("args", [(0, 60.0), (1, 0.0), (1, -1.0)])
def test_nonsense_limits_are_refused(args: tuple[int, float]) -> None:
    with pytest.raises(ValueError, match="rate limit"):
        UserRateLimiter(*args)


def test_bench_reports_the_cost_per_call() -> None:
    report = run_limiter_bench(users=500, calls=2000)
    assert "2000 allow() calls with 500 active users" in report and "p99" in report
