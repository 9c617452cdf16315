"""Covered or not: a known source URL, or a matching entry from a trusted outlet verified after the story."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.freshness.coverage import CoverageScorer, normalize_url
from bot.freshness.news import judge
from bot.knowledge.loader import KnowledgeBase, load_knowledge
from bot.storage.sql.news import NewsItem, SeenItem
from tests.freshness.support import write_knowledge

SEEN = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)
BEFORE_ENTRY = dt.datetime(2025, 1, 10, tzinfo=dt.UTC)  # the sample entries are as of 2025-01-17
AFTER_ENTRY = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)
RULING = "Supreme Court upholds the TikTok law"


@pytest.fixture
def kb(tmp_path: Path) -> KnowledgeBase:
    sources = [
        {"id": "src-court", "title": "Ruling", "publisher": "Court", "url": "https://court.example/opinion/24-656"},
        {"id": "src-major", "title": "M", "publisher": "Big Outlet", "url": "https://big.example/a", "tier": "major"},
        {"id": "src-other", "title": "O", "publisher": "Blog", "url": "https://blog.example/post"},
    ]
    return load_knowledge(write_knowledge(tmp_path / "kb", sources))


def item(
    title: str,
    url: str = "https://nobody.example/story",
    *,
    published: dt.datetime | None = BEFORE_ENTRY,
    publisher_url: str | None = None,
    key: str | None = None,
) -> NewsItem:
    return NewsItem(key or title, "feed", url, title, "", None, publisher_url, published)


def test_a_known_source_url_is_covered_whatever_the_words(kb: KnowledgeBase) -> None:
    scorer = CoverageScorer(kb)
    a = scorer.assess(item("Opinion 24-656", "https://www.court.example/opinion/24-656/?utm_source=rss#top"))
    assert a.covered and a.reason == "source src-court"


def test_a_matching_entry_from_a_trusted_outlet_covers_an_older_story(kb: KnowledgeBase) -> None:
    a = CoverageScorer(kb).assess(item(RULING, "https://news.big.example/2025/ruling"))
    assert a.covered and a.entry_id == "court-ruling"
    assert a.reason.startswith("entry court-ruling (") and "trusted outlet, verified 2025-01-17" in a.reason


def test_the_feeds_source_element_counts_as_the_outlet(kb: KnowledgeBase) -> None:
    story = item(RULING, "https://news.google.example/read/xyz", publisher_url="https://big.example")
    assert CoverageScorer(kb).assess(story).covered


@pytest.mark.parametrize(
    ("story", "why"),
    [
        (item(RULING, "https://unknown.example/ruling"), "an outlet the knowledge does not cite"),
        (item(RULING, "https://blog.example/ruling"), "an outlet cited only as tier other"),
        (item(RULING, "https://big.example/ruling", published=AFTER_ENTRY), "newer than the entry's last check"),
        (item("TikTok and the new RedNote rules for creators", "https://big.example/x"), "too little in common"),
    ],
)
def test_uncovered_stories_name_the_closest_entry(kb: KnowledgeBase, story: NewsItem, why: str) -> None:
    a = CoverageScorer(kb).assess(story)
    assert not a.covered, why
    assert a.on_topic
    assert a.reason.startswith("closest entry ")


def test_judge_drops_covered_and_off_topic_and_orders_newest_then_most_relevant(kb: KnowledgeBase) -> None:
    def seen(news: NewsItem) -> SeenItem:
        return SeenItem(news, SEEN)

    day1 = dt.datetime(2026, 11, 24, 10, tzinfo=dt.UTC)
    day2 = dt.datetime(2026, 11, 25, 7, tzinfo=dt.UTC)
    items = [
        seen(item("RedNote is a lifestyle app from Shanghai", published=day1, key="strong-older")),
        seen(item("RedNote news", published=day2, key="weak-newer")),
        seen(item("What is RedNote, the Xiaohongshu app with 300 million users?", published=day2, key="strong-newer")),
        seen(item(RULING, "https://big.example/r", key="covered")),
        seen(item("Best pizza in Naples", published=day2, key="off-topic")),
        seen(item("TikTok update", published=None, key="undated")),  # listed by the day it was first seen
    ]
    listed, covered, off_topic = judge(items, kb, new={"weak-newer"})
    assert [x.seen.item.key for x in listed] == ["undated", "strong-newer", "weak-newer", "strong-older"]
    assert (covered, off_topic) == (1, 1)
    assert [x.new for x in listed] == [False, False, True, False]
    assert listed[1].assessment.relevance > listed[2].assessment.relevance


@pytest.mark.parametrize(
    ("url", "normal"),
    [
        ("HTTP://WWW.Example.com/a/b/", "https://example.com/a/b"),
        ("https://example.com/a?utm_source=x&id=3#frag", "https://example.com/a?id=3"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
    ],
)
def test_normalize_url(url: str, normal: str) -> None:
    assert normalize_url(url) == normal
