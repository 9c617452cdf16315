from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.core.countdown import countdown_line, days_until, render_countdown
from bot.core.models import ReplyKind
from bot.knowledge.loader import KnowledgeBase

from .conftest import utc

NY = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
HONOLULU = ZoneInfo("Pacific/Honolulu")


@pytest.mark.parametrize(
    ("now", "tz", "expected"),
    [
        (utc(2025, 1, 16, 10), ZoneInfo("UTC"), 3),
        (utc(2025, 1, 18, 16), TOKYO, 0),  # already January 19 in Tokyo
        (utc(2025, 1, 19, 4), NY, 1),  # still January 18 in New York
        (utc(2025, 1, 19, 5), NY, 0),
        (utc(2025, 1, 20, 9), HONOLULU, 0),  # January 19, 23:00 in Honolulu
        (utc(2025, 1, 20, 10), HONOLULU, -1),
        (utc(2024, 4, 24, 12), NY, 270),  # the statute's 270 days
        (utc(2026, 11, 25, 12), ZoneInfo("UTC"), -675),
    ],
)
def test_days_are_calendar_days_in_the_readers_zone(
    sample_kb: KnowledgeBase, now: dt.datetime, tz: ZoneInfo, expected: int
) -> None:
    assert days_until(sample_kb.deadlines[sample_kb.primary_deadline], now, tz) == expected


def test_dst_change_does_not_shift_the_count(sample_kb: KnowledgeBase) -> None:
    deadline = sample_kb.deadlines[sample_kb.primary_deadline].model_copy(
        update={"at": dt.datetime(2025, 3, 12, tzinfo=NY)}
    )
    # 2025-03-09 is the US spring-forward day: 23-hour day, still one calendar day each.
    assert days_until(deadline, dt.datetime(2025, 3, 8, 23, 30, tzinfo=NY), NY) == 4
    assert days_until(deadline, dt.datetime(2025, 3, 9, 0, 30, tzinfo=NY), NY) == 3
    assert days_until(deadline, dt.datetime(2025, 3, 9, 23, 30, tzinfo=NY), NY) == 3
    assert days_until(deadline, dt.datetime(2025, 3, 10, 0, 10, tzinfo=NY), NY) == 2


def test_naive_now_is_refused(sample_kb: KnowledgeBase) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        days_until(sample_kb.deadlines[sample_kb.primary_deadline], dt.datetime(2025, 1, 1), NY)


def test_before_on_and_after_wording(sample_kb: KnowledgeBase) -> None:
    dl = sample_kb.deadlines[sample_kb.primary_deadline]
    utc_zone = ZoneInfo("UTC")
    assert (
        countdown_line(dl, utc(2025, 1, 18, 12), utc_zone, "en")
        == "1 day until the law taking effect (January 19, 2025)."
    )
    assert countdown_line(dl, utc(2025, 1, 16, 12), utc_zone, "en").startswith("3 days until")
    assert countdown_line(dl, utc(2025, 1, 19, 12), utc_zone, "en").startswith("Today (January 19, 2025)")
    after = countdown_line(dl, utc(2025, 1, 21, 12), utc_zone, "en")
    assert after == "2 days since the law taking effect (January 19, 2025)."
    assert "until" not in after
    assert countdown_line(dl, utc(2025, 1, 16, 12), utc_zone, "zh") == "距离法律生效（2025年1月19日）还有 3 天。"
    assert "已经过去 2 天" in countdown_line(dl, utc(2025, 1, 21, 12), utc_zone, "zh")


def test_past_deadline_reply_carries_status_and_sources(sample_kb: KnowledgeBase) -> None:
    reply = render_countdown(sample_kb, None, utc(2025, 6, 1), ZoneInfo("UTC"), "en")
    assert reply.kind is ReplyKind.COUNTDOWN and reply.answered
    assert "days since" in reply.text
    assert "It took effect but was not enforced." in reply.text
    assert [s.url for s in reply.sources] == ["https://a.example/x"]
    before = render_countdown(sample_kb, None, utc(2025, 1, 1), ZoneInfo("UTC"), "en")
    assert "not enforced" not in before.text
