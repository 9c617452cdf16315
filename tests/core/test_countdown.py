from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.core.countdown import (
    countdown_line,
    days_until,
    heading,
    is_milestone,
    next_milestones,
    next_upcoming,
    render_countdown,
    sentence_case,
    short_status,
)
from bot.core.models import ReplyKind
from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.schema import Heading, Localized, PostText

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


@pytest.mark.parametrize(
    ("days_since", "milestone"),
    [
        (0, True),  # the day itself
        (100, True),
        (200, True),
        (300, True),
        (365, True),
        (500, True),
        (700, True),
        (730, True),
        (1095, True),
        (1460, True),  # every multiple of 365, leap years or not
        (1, False),
        (99, False),
        (101, False),
        (364, False),
        (366, False),
        (701, False),
        (729, False),
        (-1, True),  # before the day: 100s, 365s and the last 30, 7, 1 days
        (-7, True),
        (-30, True),
        (-100, True),
        (-365, True),
        (-2, False),
        (-31, False),
        (-99, False),
    ],
)
def test_milestone_days(days_since: int, milestone: bool) -> None:
    assert is_milestone(days_since) is milestone


def test_next_milestones_after_a_date(sample_kb: KnowledgeBase) -> None:
    law = sample_kb.deadlines["law-effective"]  # January 19, 2025
    assert next_milestones(law, dt.date(2026, 11, 26), 3) == [
        dt.date(2026, 12, 20),  # day 700
        dt.date(2027, 1, 19),  # day 730
        dt.date(2027, 3, 30),  # day 800
    ]
    assert next_milestones(law, dt.date(2025, 1, 10), 2) == [dt.date(2025, 1, 12), dt.date(2025, 1, 18)]


def test_headings_are_in_sentence_case(sample_kb: KnowledgeBase) -> None:
    assert sentence_case("the end of Trump's first TikTok enforcement delay") == (
        "End of Trump's first TikTok enforcement delay"
    )
    assert sentence_case("the TikTok divest-or-ban deadline") == "TikTok divest-or-ban deadline"
    assert sentence_case("theatre closing") == "Theatre closing"  # only a whole leading "the" goes
    law = sample_kb.deadlines["law-effective"]
    assert heading(law, "en") == "Law taking effect" and heading(law, "zh") == "法律生效"
    curated = law.model_copy(update={"heading": Heading(en="The divest-or-ban law", zh="剥离或禁用法")})
    assert heading(curated, "en") == "The divest-or-ban law"


def test_short_status_is_the_curated_one_or_the_first_sentence(sample_kb: KnowledgeBase) -> None:
    law = sample_kb.deadlines["law-effective"]
    long = Localized(
        en="Investors petitioned the D.C. Circuit on March 5, 2026. No ruling has been verified.",
        zh="投资者于2026年3月5日向哥伦比亚特区巡回上诉法院起诉。尚未核实到裁决。",
    )
    first = law.model_copy(update={"status": long})
    assert short_status(first, "en") == "Investors petitioned the D.C. Circuit on March 5, 2026."
    assert short_status(first, "zh") == "投资者于2026年3月5日向哥伦比亚特区巡回上诉法院起诉。"
    curated = first.model_copy(update={"short": PostText(en="Sued; no ruling.", zh="已起诉，尚无裁决。")})
    assert short_status(curated, "en") == "Sued; no ruling."


def test_countdown_names_the_next_upcoming_deadline(sample_kb: KnowledgeBase) -> None:
    court = sample_kb.deadlines["law-effective"].model_copy(
        update={
            "id": "court-hearing",
            "title": Localized(en="the D.C. Circuit hearing", zh="上诉法院听证"),
            "at": dt.datetime(2027, 3, 3, tzinfo=NY),
        }
    )
    kb = dataclasses.replace(sample_kb, deadlines={**sample_kb.deadlines, court.id: court})
    now = utc(2026, 11, 26, 12)
    reply = render_countdown(kb, None, now, ZoneInfo("UTC"), "en")
    assert reply.title == "Law taking effect"
    assert reply.text.endswith("Next: the D.C. Circuit hearing on March 3, 2027 (97 days).")
    assert "下一个日期：上诉法院听证（2027年3月3日），还有 97 天。" in render_countdown(kb, None, now, NY, "zh").text
    own = render_countdown(kb, "court-hearing", now, ZoneInfo("UTC"), "en")  # the next one itself: no "Next"
    assert own.text.startswith("97 days until the D.C. Circuit hearing") and "Next:" not in own.text
    assert "Next:" not in render_countdown(sample_kb, None, now, ZoneInfo("UTC"), "en").text  # nothing ahead
    assert next_upcoming(kb, utc(2027, 3, 4), ZoneInfo("UTC")) is None
