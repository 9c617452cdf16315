"""Post-time maths across DST: US, EU, half-hour DST (Lord Howe), 30/45-minute offsets."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.delivery.local_times import decide_due, latest_occurrence, next_occurrence, next_posts, occurrence
from tests.delivery.support import utc

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
ADELAIDE = ZoneInfo("Australia/Adelaide")
KATHMANDU = ZoneInfo("Asia/Kathmandu")


@pytest.mark.parametrize(
    ("tz", "day", "local", "expected_utc"),
    [
        # ordinary days
        (NY, dt.date(2025, 1, 10), dt.time(9, 0), utc(2025, 1, 10, 14, 0)),
        (KATHMANDU, dt.date(2025, 1, 10), dt.time(9, 0), utc(2025, 1, 10, 3, 15)),
        (ADELAIDE, dt.date(2025, 1, 10), dt.time(9, 0), utc(2025, 1, 9, 22, 30)),
        # spring forward: the gap posts at the first valid minute after it
        (NY, dt.date(2025, 3, 9), dt.time(2, 30), utc(2025, 3, 9, 7, 0)),  # 03:00 EDT
        (NY, dt.date(2025, 3, 9), dt.time(2, 0), utc(2025, 3, 9, 7, 0)),
        (NY, dt.date(2025, 3, 9), dt.time(3, 0), utc(2025, 3, 9, 7, 0)),
        (BERLIN, dt.date(2025, 3, 30), dt.time(2, 30), utc(2025, 3, 30, 1, 0)),  # 03:00 CEST
        (ADELAIDE, dt.date(2025, 10, 5), dt.time(2, 15), utc(2025, 10, 4, 16, 30)),  # 03:00 ACDT
        (LORD_HOWE, dt.date(2025, 10, 5), dt.time(2, 15), utc(2025, 10, 4, 15, 30)),  # 02:30 +11 (30-min jump)
        # fall back: the repeated time posts once, at its first occurrence
        (NY, dt.date(2025, 11, 2), dt.time(1, 30), utc(2025, 11, 2, 5, 30)),  # 01:30 EDT, not EST
        (BERLIN, dt.date(2025, 10, 26), dt.time(2, 30), utc(2025, 10, 26, 0, 30)),  # 02:30 CEST
        (LORD_HOWE, dt.date(2025, 4, 6), dt.time(1, 45), utc(2025, 4, 5, 14, 45)),  # 01:45 +11, not +10:30
        (ADELAIDE, dt.date(2025, 4, 6), dt.time(2, 30), utc(2025, 4, 5, 16, 0)),  # 02:30 ACDT
    ],
)
def test_occurrence(tz: ZoneInfo, day: dt.date, local: dt.time, expected_utc: dt.datetime) -> None:
    occ = occurrence(day, local, tz)
    assert occ.at == expected_utc
    assert occ.local_date == day


@pytest.mark.parametrize("tz", [NY, BERLIN, LORD_HOWE, ADELAIDE, KATHMANDU, ZoneInfo("UTC")])
@pytest.mark.parametrize("local", [dt.time(0, 0), dt.time(1, 45), dt.time(2, 15), dt.time(2, 30), dt.time(9, 0)])
def test_one_post_per_local_day_for_a_year(tz: ZoneInfo, local: dt.time) -> None:
    """Walking the schedule through a whole year never skips or doubles a local day."""
    cursor = utc(2025, 1, 1)
    seen: list[dt.date] = []
    for _ in range(366):
        occ = next_occurrence(cursor, local, tz)
        assert occ.at > cursor
        seen.append(occ.local_date)
        cursor = occ.at
    assert seen == [seen[0] + dt.timedelta(days=i) for i in range(366)]


def test_next_and_latest() -> None:
    now = utc(2025, 3, 8, 15, 0)  # Sat 10:00 EST
    assert next_occurrence(now, dt.time(9, 0), NY).at == utc(2025, 3, 9, 13, 0)  # Sunday 09:00 EDT
    assert latest_occurrence(now, dt.time(9, 0), NY).at == utc(2025, 3, 8, 14, 0)
    assert latest_occurrence(utc(2025, 3, 8, 14, 0), dt.time(9, 0), NY).at == utc(2025, 3, 8, 14, 0)
    posts = next_posts(now, dt.time(9, 0), NY)
    assert [p.strftime("%Y-%m-%d %H:%M %Z") for p in posts] == [
        "2025-03-09 09:00 EDT",
        "2025-03-10 09:00 EDT",
        "2025-03-11 09:00 EDT",
    ]


GRACE = dt.timedelta(hours=6)


def test_decide_on_time() -> None:
    due = utc(2025, 1, 10, 9, 0)
    d = decide_due(due, utc(2025, 1, 10, 9, 0, 30), dt.time(9, 0), ZoneInfo("UTC"), GRACE)
    assert d.post is not None and d.post.local_date == dt.date(2025, 1, 10)
    assert d.skipped == 0
    assert d.next_due.at == utc(2025, 1, 11, 9, 0)


def test_decide_late_within_grace_posts_once() -> None:
    d = decide_due(utc(2025, 1, 10, 9, 0), utc(2025, 1, 10, 14, 0), dt.time(9, 0), ZoneInfo("UTC"), GRACE)
    assert d.post is not None and d.post.at == utc(2025, 1, 10, 9, 0)
    assert d.skipped == 0


def test_decide_beyond_grace_skips() -> None:
    d = decide_due(utc(2025, 1, 10, 9, 0), utc(2025, 1, 10, 16, 0), dt.time(9, 0), ZoneInfo("UTC"), GRACE)
    assert d.post is None and d.skipped == 1
    assert d.next_due.at == utc(2025, 1, 11, 9, 0)


def test_decide_after_days_of_downtime_sends_only_the_latest() -> None:
    d = decide_due(utc(2025, 1, 10, 9, 0), utc(2025, 1, 13, 10, 0), dt.time(9, 0), ZoneInfo("UTC"), GRACE)
    assert d.post is not None and d.post.local_date == dt.date(2025, 1, 13)
    assert d.skipped == 3
