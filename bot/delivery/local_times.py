"""Post-time maths, pure: when does a daily post at a local time happen, across DST changes.

- A local time that does not exist that day (spring forward) posts at the first valid minute after it,
  i.e. when the clocks jump (02:30 in New York on a spring-forward day posts at 03:00).
- A local time that happens twice (fall back) posts once, at the first occurrence (fold=0).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.types import UTC


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One daily post: the local calendar date it belongs to and the UTC instant it is due."""

    local_date: dt.date
    at: dt.datetime


def _wall(instant: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    return instant.astimezone(tz).replace(tzinfo=None)


def occurrence(day: dt.date, local_time: dt.time, tz: ZoneInfo) -> Occurrence:
    """The instant of the post for `day`, resolving DST gaps and overlaps as described above."""
    naive = dt.datetime.combine(day, local_time.replace(tzinfo=None, fold=0))
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if _wall(first, tz) == naive:
        return Occurrence(day, first)  # exists (fold=0 is the first of two in an overlap)
    # In a gap: fold=0 maps past the jump, fold=1 before it. Find the jump, the first instant at or after
    # which the wall clock reads `naive` or later, by bisection over seconds.
    lo = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    hi = first
    if lo > hi:
        lo, hi = hi, lo
    lo_s, hi_s = math.floor(lo.timestamp()), math.ceil(hi.timestamp())
    while hi_s - lo_s > 1:
        mid = (lo_s + hi_s) // 2
        if _wall(dt.datetime.fromtimestamp(mid, UTC), tz) >= naive:
            hi_s = mid
        else:
            lo_s = mid
    jump = dt.datetime.fromtimestamp(hi_s, UTC)
    if jump.second:  # historical odd-second offsets: round up to the next whole local minute
        jump += dt.timedelta(seconds=60 - _wall(jump, tz).second)
    return Occurrence(day, jump)


def next_occurrence(after: dt.datetime, local_time: dt.time, tz: ZoneInfo) -> Occurrence:
    """The first post strictly after `after`."""
    day = after.astimezone(tz).date() - dt.timedelta(days=1)
    while True:
        occ = occurrence(day, local_time, tz)
        if occ.at > after:
            return occ
        day += dt.timedelta(days=1)


def latest_occurrence(at_or_before: dt.datetime, local_time: dt.time, tz: ZoneInfo) -> Occurrence:
    """The last post at or before the given instant."""
    day = at_or_before.astimezone(tz).date() + dt.timedelta(days=1)
    while True:
        occ = occurrence(day, local_time, tz)
        if occ.at <= at_or_before:
            return occ
        day -= dt.timedelta(days=1)


def next_posts(now: dt.datetime, local_time: dt.time, tz: ZoneInfo, count: int = 3) -> tuple[dt.datetime, ...]:
    """The next `count` post times after `now`, in the subscription's zone."""
    out: list[dt.datetime] = []
    cursor = now
    for _ in range(count):
        occ = next_occurrence(cursor, local_time, tz)
        out.append(occ.at.astimezone(tz))
        cursor = occ.at
    return tuple(out)


@dataclass(frozen=True, slots=True)
class DueDecision:
    """What a tick does with a subscription whose next_due_at has passed."""

    post: Occurrence | None
    """The post to claim now (possibly late), or None when it is older than the grace window."""
    skipped: int
    """Posts missed entirely (downtime longer than the grace window): logged, never sent."""
    next_due: Occurrence


def decide_due(
    next_due_at: dt.datetime, now: dt.datetime, local_time: dt.time, tz: ZoneInfo, grace: dt.timedelta
) -> DueDecision:
    """Only the latest missed post can go out, and only within the grace window: never flood after downtime."""
    latest = latest_occurrence(now, local_time, tz)
    first_missed = latest_occurrence(next_due_at, local_time, tz) if next_due_at <= now else latest
    missed_days = max(0, (latest.local_date - first_missed.local_date).days)
    upcoming = next_occurrence(now, local_time, tz)
    if now - latest.at <= grace and latest.at >= first_missed.at:
        return DueDecision(post=latest, skipped=missed_days, next_due=upcoming)
    return DueDecision(post=None, skipped=missed_days + 1, next_due=upcoming)
