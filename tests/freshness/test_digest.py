"""The daily curator digest: once per day across two concurrent processes and restarts, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from bot.delivery.ports import SendResult, SendStatus
from bot.freshness import digest as digest_module
from bot.freshness.digest import CuratorDigest, parse_curator_chat
from bot.knowledge.loader import KnowledgeBase, load_knowledge
from bot.storage.sql import SqlStore as Store
from bot.storage.sql import open_store
from bot.storage.sql.news import DigestState, NewsStore
from bot.types import ChatRef, Platform
from tests.conftest import Database
from tests.delivery.support import FakeClock, make_settings
from tests.freshness.support import RecordingSender, rss, write_knowledge

POST_TIME = dt.time(8, 0)
MORNING = dt.datetime(2026, 11, 26, 8, 30, tzinfo=dt.UTC)
CHAT = ChatRef(Platform.TELEGRAM, "-100777")
FEED_URL = "https://feeds.test/news.xml"

STORIES = [
    {
        "title": f"RedNote story number {n}",
        "link": f"https://news.test/rednote-{n}",
        "guid": f"g{n}",
        "pubDate": "Wed, 25 Nov 2026 08:00:00 GMT",
    }
    for n in range(3)
]


class FeedTransport(httpx.AsyncBaseTransport):
    """The feed as httpx sees it (the digest's own HTTP is tested against a real server in test_news)."""

    def __init__(self) -> None:
        self.stories = list(STORIES[:2])
        self.requests = 0
        self.stalls = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if self.stalls:
            await asyncio.Event().wait()  # never answers
        return httpx.Response(200, content=rss(*self.stories), headers={"Content-Type": "application/rss+xml"})


@pytest.fixture
def kb_root(tmp_path: Path) -> Path:
    return write_knowledge(tmp_path / "kb", [], feeds=[{"id": "news", "title": "News", "url": FEED_URL}])


@pytest.fixture
def kb(kb_root: Path) -> KnowledgeBase:
    return load_knowledge(kb_root)


@pytest.fixture
async def stores(database: Database) -> AsyncIterator[list[Store]]:
    """Two stores with their own engines and connection pools: two processes' view of one database."""
    opened = [await open_store(database.url, schema=database.schema) for _ in range(2)]
    try:
        yield opened
    finally:
        for store in opened:
            await store.close()


@dataclass
class Rig:
    """What every digest process in a test shares: the knowledge, the chat's sender, the clock, the feed."""

    kb_root: Path
    kb: KnowledgeBase
    clock: FakeClock = field(default_factory=lambda: FakeClock(MORNING))
    sender: RecordingSender = field(default_factory=lambda: RecordingSender(Platform.TELEGRAM))
    feed: FeedTransport = field(default_factory=FeedTransport)

    def digest(self, store: Store, owner: str) -> CuratorDigest:
        return CuratorDigest(
            store=NewsStore(store.engine),
            sender=self.sender,
            chat=CHAT,
            knowledge=lambda: self.kb,
            feeds_root=self.kb_root,
            clock=self.clock,
            post_time=POST_TIME,
            owner=owner,
            allow_private=True,  # the feed's host is the test's transport
            transport=self.feed,
        )


@pytest.fixture
def rig(kb_root: Path, kb: KnowledgeBase) -> Rig:
    return Rig(kb_root, kb)


async def test_two_processes_at_once_post_one_digest(stores: list[Store], rig: Rig) -> None:
    a, b = rig.digest(stores[0], "proc-a"), rig.digest(stores[1], "proc-b")

    results = await asyncio.gather(a.run_once(), b.run_once())
    assert sorted(results, key=str) == [None, DigestState.SENT]
    assert len(rig.sender.delivered) == 1
    assert rig.feed.requests == 1  # only the winner polls the feeds
    post = rig.sender.delivered[0]
    assert post.chat == CHAT and post.key == "digest-20261126"
    assert post.reply.text.startswith("News for curators, 2026-11-26: 2 recent stories the knowledge does not cover")
    assert "https://news.test/rednote-0" in post.reply.text and "closest entry rednote-what" in post.reply.text

    again = await asyncio.gather(a.run_once(), b.run_once())  # the next check, a few minutes later
    assert again == [None, None] and len(rig.sender.delivered) == 1


async def test_a_restart_does_not_post_again_and_the_next_day_lists_only_new_stories(
    stores: list[Store], rig: Rig
) -> None:
    assert await rig.digest(stores[0], "before").run_once() is DigestState.SENT

    restarted = rig.digest(stores[1], "after-restart")
    rig.clock.advance(hours=3)
    assert await restarted.run_once() is None
    assert len(rig.sender.delivered) == 1

    rig.feed.stories = list(STORIES)  # one more story tomorrow
    rig.clock.set(MORNING + dt.timedelta(days=1))
    assert await restarted.run_once() is DigestState.SENT
    second = rig.sender.delivered[1].reply.text
    assert "2026-11-27: 1 recent stories" in second
    assert "rednote-2" in second and "rednote-0" not in second  # yesterday's stories are not repeated


async def test_nothing_before_the_post_time(stores: list[Store], rig: Rig) -> None:
    rig.clock.set(MORNING.replace(hour=7, minute=59))
    assert await rig.digest(stores[0], "early").run_once() is None
    assert rig.sender.attempts == []
    assert await NewsStore(stores[0].engine).digest_state(MORNING.date()) is None


async def test_transient_failures_retry_later_then_give_up(stores: list[Store], rig: Rig) -> None:
    transient = SendResult(SendStatus.TRANSIENT, detail="network down")
    rig.sender.script = [transient, SendResult(SendStatus.RATE_LIMITED, 30.0)]
    a, b = rig.digest(stores[0], "a"), rig.digest(stores[1], "b")
    news = NewsStore(stores[0].engine)
    retry = digest_module.RETRY_AFTER.total_seconds() + 1

    assert await a.run_once() is DigestState.CLAIMED
    assert await b.run_once() is None  # held back until the retry time, for every process
    rig.clock.advance(retry)
    assert await b.run_once() is DigestState.CLAIMED  # rate limited: retried later too
    rig.clock.advance(retry)
    assert await a.run_once() is DigestState.SENT
    assert len(rig.sender.attempts) == 3 and len(rig.sender.delivered) == 1
    assert await news.digest_state(MORNING.date()) is DigestState.SENT

    rig.clock.set(MORNING + dt.timedelta(days=1))
    rig.sender.script = [transient] * digest_module.MAX_ATTEMPTS
    for _ in range(digest_module.MAX_ATTEMPTS - 1):
        assert await a.run_once() is DigestState.CLAIMED
        rig.clock.advance(retry)
    assert await a.run_once() is DigestState.FAILED
    assert await a.run_once() is None
    assert await news.digest_state(rig.clock.now.date()) is DigestState.FAILED


async def test_a_refused_chat_fails_the_day_without_retrying(
    stores: list[Store], rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    rig.sender.script = [SendResult(SendStatus.GONE, detail="Forbidden: bot was kicked")]
    digest = rig.digest(stores[0], "a")
    assert await digest.run_once() is DigestState.FAILED
    rig.clock.advance(hours=1)
    assert await digest.run_once() is None
    assert len(rig.sender.attempts) == 1
    assert "check BANBOT_CURATOR_CHAT" in caplog.text


async def test_a_dead_claimers_digest_is_taken_over_after_its_lease(stores: list[Store], rig: Rig) -> None:
    dead = NewsStore(stores[0].engine)
    lease = MORNING + digest_module.LEASE
    claim = await dead.claim_digest(MORNING.date(), "telegram:-100777", owner="dead", now=MORNING, lease_until=lease)
    assert claim is not None and claim.attempts == 1
    survivor = rig.digest(stores[1], "survivor")
    assert await survivor.run_once() is None  # the lease still runs
    rig.clock.advance(digest_module.LEASE.total_seconds() + 1)
    assert await survivor.run_once() is DigestState.SENT
    assert len(rig.sender.delivered) == 1
    await dead.finish_digest(claim, DigestState.FAILED, owner="dead", now=rig.clock.now)  # a late word from the dead
    assert await dead.digest_state(MORNING.date()) is DigestState.SENT


async def test_a_broken_feeds_file_is_reported_in_the_digest(stores: list[Store], rig: Rig) -> None:
    (rig.kb_root / "feeds.yaml").write_text("feeds: []\n")
    assert await rig.digest(stores[0], "a").run_once() is DigestState.SENT
    text = rig.sender.delivered[0].reply.text
    assert "nothing new that the knowledge does not cover" in text
    assert "Feed problems:\nfeeds.yaml: feeds: List should have at least 1 item" in text


async def test_a_feed_that_never_answers_cannot_stall_the_digest(
    stores: list[Store], rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(digest_module, "COLLECT_SECONDS", 0.3)
    rig.feed.stalls = True
    async with asyncio.timeout(10):
        assert await rig.digest(stores[0], "a").run_once() is DigestState.SENT
    text = rig.sender.delivered[0].reply.text
    assert "Feed problems:\nfeed news: failed: slow: unfinished after 0.3 s" in text


def test_curator_chat_setting_is_validated() -> None:
    assert make_settings(curator_chat="telegram:-1001234567890").curator_chat == "telegram:-1001234567890"
    assert parse_curator_chat("telegram:@curators") == ChatRef(Platform.TELEGRAM, "@curators")
    assert parse_curator_chat("discord:123456789012345678") == ChatRef(Platform.DISCORD, "123456789012345678")
    for bad in ("slack:1", "telegram:", "discord:abc", "-100123"):
        with pytest.raises(ValidationError, match="curator_chat"):
            make_settings(curator_chat=bad)
