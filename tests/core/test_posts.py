"""Subscription posts: a title in sentence case, one line of count, the short status with its check date,
at most three sources, and the whole post behind "More"."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.core.posts import announcement_post, countdown_post, post_more, post_ref
from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.schema import Announcement, Heading, Localized, PostText, Source

from .conftest import utc

UTC_ZONE = ZoneInfo("UTC")


@pytest.fixture
def kb(sample_kb: KnowledgeBase) -> KnowledgeBase:
    """The sample knowledge with five sources on the law, a court date ahead and an announcement about it."""
    sources = {
        f"src-{i}": Source(
            id=f"src-{i}", title=f"T{i}", publisher=f"P{i}", url=f"https://s{i}.example/", tier="primary"
        )
        for i in range(5)
    }
    law = sample_kb.deadlines["law-effective"].model_copy(
        update={
            "status": Localized(
                en="It took effect but was not enforced. A joint venture closed in 2026.",
                zh="已生效但未执行。合资公司于2026年交割。",
            ),
            "sources": ["src-a", *sources],
        }
    )
    court = law.model_copy(
        update={
            "id": "court-hearing",
            "title": Localized(en="the D.C. Circuit hearing", zh="上诉法院听证"),
            "heading": Heading(en="D.C. Circuit hearing", zh="上诉法院听证"),
            "at": dt.datetime(2027, 3, 3, tzinfo=dt.UTC),
            "sources": ["src-a"],
        }
    )
    news = Announcement(
        id="hearing-set",
        date=dt.date(2026, 11, 26),
        heading=Heading(en="Court sets a hearing date", zh="法院确定听证日期"),
        text=PostText(en="The D.C. Circuit set a hearing for March 3, 2027.", zh="上诉法院将听证定于2027年3月3日。"),
        deadline="court-hearing",
        sources=["src-a"],
    )
    return dataclasses.replace(
        sample_kb,
        sources={**sample_kb.sources, **sources},
        deadlines={"law-effective": law, "court-hearing": court},
        announcements={news.id: news},
    )


def test_countdown_post_after_the_day(kb: KnowledgeBase) -> None:
    reply = countdown_post(kb, "law-effective", utc(2026, 11, 26, 9), UTC_ZONE, "en")
    assert reply.title == "Law taking effect"  # sentence case, not "the law taking effect"
    assert reply.short == (
        "676 days since the law taking effect (January 19, 2025).\n\n"
        "Status (checked November 26, 2026): It took effect but was not enforced."
    )
    assert reply.text == (
        "676 days since the law taking effect (January 19, 2025).\n\n"
        "Status (checked November 26, 2026): It took effect but was not enforced. A joint venture closed in 2026."
        "\n\nNext: the D.C. Circuit hearing on March 3, 2027 (97 days)."
    )
    assert reply.has_more and reply.checked is None  # the date is in the text: no footer repeats it
    assert len(reply.sources) == 3 and len(reply.more_sources) == 3  # at most three shown, the rest behind More
    zh = countdown_post(kb, "law-effective", utc(2026, 11, 26, 9), UTC_ZONE, "zh")
    assert zh.title == "法律生效" and "现状（核实于2026年11月26日）：已生效但未执行。" in (zh.short or "")


def test_countdown_post_before_the_day_and_on_an_anniversary(kb: KnowledgeBase) -> None:
    before = countdown_post(kb, "court-hearing", utc(2026, 11, 26, 9), UTC_ZONE, "en")
    assert (
        before.title == "D.C. Circuit hearing"
        and before.text == "97 days until the D.C. Circuit hearing (March 3, 2027)."
    )
    assert not before.has_more and "Status" not in before.text  # nothing has happened yet
    two_years = countdown_post(kb, "law-effective", utc(2027, 1, 19, 9), UTC_ZONE, "en")
    assert two_years.text.startswith("730 days since the law taking effect (January 19, 2025): 2 years.")
    assert countdown_post(kb, "law-effective", utc(2027, 1, 19, 9), UTC_ZONE, "zh").text.startswith(
        "法律生效（2025年1月19日）已经过去 730 天，整整 2 年。"
    )


def test_announcement_post_counts_to_the_date_it_sets(kb: KnowledgeBase) -> None:
    reply = announcement_post(
        kb, "hearing-set", deadline_id="law-effective", at=utc(2026, 11, 27, 9), tz=UTC_ZONE, lang="en"
    )
    assert reply.title == "Court sets a hearing date"
    assert reply.text == (
        "November 26, 2026: The D.C. Circuit set a hearing for March 3, 2027.\n\n"
        "96 days until the D.C. Circuit hearing (March 3, 2027)."
    )
    assert not reply.has_more
    assert [s.id for s in reply.sources] == ["src-a"]
    zh = announcement_post(
        kb, "hearing-set", deadline_id="law-effective", at=utc(2026, 11, 27, 9), tz=UTC_ZONE, lang="zh"
    )
    assert zh.title == "法院确定听证日期" and zh.text.startswith("2026年11月26日：上诉法院将听证定于2027年3月3日。")


def test_announcement_without_a_deadline_counts_the_subscriptions_own_and_details_go_behind_more(
    kb: KnowledgeBase,
) -> None:
    ann = kb.announcements["hearing-set"].model_copy(
        update={"deadline": None, "details": Localized(en="Briefs are due in January.", zh="一月提交诉状。")}
    )
    kb = dataclasses.replace(kb, announcements={ann.id: ann})
    reply = announcement_post(kb, ann.id, deadline_id="law-effective", at=utc(2026, 11, 27, 9), tz=UTC_ZONE, lang="en")
    assert reply.short == (
        "November 26, 2026: The D.C. Circuit set a hearing for March 3, 2027.\n\n"
        "677 days since the law taking effect (January 19, 2025)."
    )
    assert reply.has_more and "Briefs are due in January." in reply.text and "Next: the D.C. Circuit" in reply.text


def test_more_finds_a_post_again(kb: KnowledgeBase) -> None:
    now = utc(2026, 11, 27, 9)
    assert post_ref("law-effective", None) == "d:law-effective"
    assert post_ref("law-effective", "hearing-set") == "a:hearing-set"
    countdown = post_more(kb, "d:law-effective", now, UTC_ZONE, "en")
    assert countdown is not None and countdown.title == "Law taking effect"
    news = post_more(kb, "a:hearing-set", now, UTC_ZONE, "en")
    assert news is not None and news.title == "Court sets a hearing date"
    assert post_more(kb, "a:gone", now, UTC_ZONE, "en") is None
    assert post_more(kb, "nonsense", now, UTC_ZONE, "en") is None
