"""`banbot kb news`: poll the feeds, keep what was seen, list the stories the knowledge does not cover yet.

Each poll stores the items it has not seen before (one row per story, whichever feed brought it) and the
feed's validators for the next conditional GET. The list is built from every item first seen in the last
`days` days, judged against the knowledge as it is now (bot.freshness.coverage), so an item drops off the
list as soon as an entry or source covers it. Newest first (by publication day), most relevant first within
a day.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx

from bot.errors import KnowledgeError
from bot.freshness.coverage import Assessment, CoverageScorer
from bot.freshness.feeds import MAX_FEED_BYTES, Feed, FetchStatus, fetch_feed, load_feeds, parse_feed
from bot.freshness.http import gather_within, make_client
from bot.knowledge.check import print_problems
from bot.knowledge.loader import KnowledgeBase, load_knowledge
from bot.settings import Settings
from bot.storage.sql import open_store
from bot.storage.sql.news import FeedState, NewsStore, SeenItem

RETENTION = dt.timedelta(days=90)
"""Items first seen longer ago are forgotten (a story that old is no longer news)."""


@dataclass(frozen=True, slots=True)
class FeedOutcome:
    feed: Feed
    status: FetchStatus
    items: int = 0
    new: int = 0
    problem: str = ""

    @property
    def failed(self) -> bool:
        return self.status is FetchStatus.FAILED

    def line(self) -> str:
        if self.failed:
            return f"feed {self.feed.id}: failed: {self.problem}"
        if self.status is FetchStatus.NOT_MODIFIED:
            return f"feed {self.feed.id}: not modified"
        text = f"feed {self.feed.id}: {self.items} item(s), {self.new} new"
        return f"{text}; {self.problem}" if self.problem else text


@dataclass(frozen=True, slots=True)
class Listed:
    seen: SeenItem
    assessment: Assessment
    new: bool

    @property
    def day(self) -> dt.date:
        return (self.seen.item.published_at or self.seen.first_seen_at).date()

    def line(self) -> str:
        item = self.seen.item
        publisher = f" — {item.publisher}" if item.publisher else ""
        mark = "new" if self.new else "   "
        a = self.assessment
        return f"{self.day}  {mark}  {a.relevance:5.1f}  {item.title}{publisher}  <{item.url}>  ({a.reason})"


@dataclass(frozen=True, slots=True)
class NewsReport:
    feeds: list[FeedOutcome]
    uncovered: list[Listed]
    considered: int
    covered: int
    off_topic: int
    new: set[str] = field(default_factory=set)

    def summary(self) -> str:
        failed = sum(1 for f in self.feeds if f.failed)
        unchanged = sum(1 for f in self.feeds if f.status is FetchStatus.NOT_MODIFIED)
        return (
            f"kb news: {len(self.feeds)} feed(s) polled ({unchanged} not modified, {failed} failed); "
            f"{self.considered} item(s) considered, {len(self.new)} new; {len(self.uncovered)} not covered, "
            f"{self.covered} covered, {self.off_topic} off topic"
        )


async def poll_feed(
    client: httpx.AsyncClient, store: NewsStore, feed: Feed, now: dt.datetime, *, max_bytes: int = MAX_FEED_BYTES
) -> tuple[FeedOutcome, set[str]]:
    """Fetch one feed (conditionally), store its new items, remember its validators once they are stored."""
    previous = await store.feed_state(feed.id)
    fetched = await fetch_feed(client, feed, previous, max_bytes=max_bytes)
    unchanged = previous or FeedState(feed.id, str(feed.url), None, None)
    if fetched.status is FetchStatus.NOT_MODIFIED:
        await store.save_feed_state(unchanged, checked_at=now, status="304 not modified", keep_validators=True)
        return FeedOutcome(feed, FetchStatus.NOT_MODIFIED), set()
    if fetched.status is FetchStatus.FAILED or fetched.state is None:
        await store.save_feed_state(unchanged, checked_at=now, status=fetched.detail, keep_validators=True)
        return FeedOutcome(feed, FetchStatus.FAILED, problem=fetched.detail), set()
    parsed = parse_feed(feed.id, fetched.body, base_url=fetched.final_url, content_type=fetched.content_type)
    if not parsed.usable:  # keep the old validators: the next poll fetches the whole feed again
        await store.save_feed_state(unchanged, checked_at=now, status=parsed.problem, keep_validators=True)
        return FeedOutcome(feed, FetchStatus.FAILED, problem=parsed.problem), set()
    new = await store.add_items(parsed.items, now)
    await store.save_feed_state(fetched.state, checked_at=now, status=parsed.problem or "200 ok")
    return FeedOutcome(feed, FetchStatus.FETCHED, len(parsed.items), len(new), parsed.problem), new


async def poll_feeds(
    client: httpx.AsyncClient,
    store: NewsStore,
    feeds: Sequence[Feed],
    now: dt.datetime,
    *,
    within: float,
    max_bytes: int = MAX_FEED_BYTES,
) -> tuple[list[FeedOutcome], set[str]]:
    """Poll every feed concurrently, for at most `within` seconds (a feed unfinished by then is stopped and
    reported as slow); one feed's failure never stops the others."""
    polled = await gather_within(within, [poll_feed(client, store, f, now, max_bytes=max_bytes) for f in feeds])
    await store.prune_items(now - RETENTION)
    outcomes: list[FeedOutcome] = []
    new: set[str] = set()
    for feed, result in zip(feeds, polled, strict=True):
        if result is None:
            slow = f"slow: unfinished after {within:g} s"
            outcomes.append(FeedOutcome(feed, FetchStatus.FAILED, problem=slow))
        else:
            outcomes.append(result[0])
            new |= result[1]
    return outcomes, new


def judge(items: Sequence[SeenItem], kb: KnowledgeBase, new: set[str]) -> tuple[list[Listed], int, int]:
    """(uncovered on-topic items newest and most relevant first, covered count, off-topic count)."""
    scorer = CoverageScorer(kb)
    listed: list[Listed] = []
    covered = off_topic = 0
    for seen in items:
        assessment = scorer.assess(seen.item)
        if assessment.covered:
            covered += 1
        elif not assessment.on_topic:
            off_topic += 1
        else:
            listed.append(Listed(seen, assessment, seen.item.key in new))
    listed.sort(key=lambda x: (-x.day.toordinal(), -x.assessment.relevance, x.seen.item.title))
    return listed, covered, off_topic


async def collect_news(
    store: NewsStore,
    client: httpx.AsyncClient,
    feeds: Sequence[Feed],
    kb: KnowledgeBase,
    now: dt.datetime,
    *,
    days: float,
    within: float,
    undigested: bool = False,
    max_bytes: int = MAX_FEED_BYTES,
) -> NewsReport:
    """Poll the feeds (for at most `within` seconds), then judge every item first seen in the last `days`."""
    outcomes, new = await poll_feeds(client, store, feeds, now, within=within, max_bytes=max_bytes)
    seen = await store.items_seen_since(now - dt.timedelta(days=days), undigested=undigested)
    listed, covered, off_topic = await asyncio.to_thread(judge, seen, kb, new)
    return NewsReport(outcomes, listed, len(seen), covered, off_topic, new)


async def _run(
    settings: Settings,
    kb: KnowledgeBase,
    feeds: list[Feed],
    *,
    days: float,
    request_seconds: float,
    run_seconds: float,
    now: dt.datetime,
    transport: httpx.AsyncBaseTransport | None,
) -> NewsReport:
    store = await open_store(settings.database_url, schema=settings.database_schema)
    try:
        async with make_client(
            "news",
            timeout=request_seconds,
            max_connections=max(1, len(feeds)),  # a feed's deadline must not run out waiting for a connection
            allow_private=settings.fetch_allow_private,
            transport=transport,
        ) as client:
            return await collect_news(NewsStore(store.engine), client, feeds, kb, now, days=days, within=run_seconds)
    finally:
        await store.close()


def kb_news(
    settings: Settings,
    *,
    days: float = 7.0,
    limit: int = 30,
    timeout: float = 20.0,
    max_time: float = 120.0,
    now: dt.datetime | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> int:
    """Print feed problems (stderr), the uncovered items and a summary. Exit 1 when nothing could be polled.

    Each feed's fetch ends `timeout` seconds after it began, the polling `max_time` seconds after it began."""
    try:
        kb = load_knowledge(settings.knowledge_dir)
        feeds = load_feeds(settings.knowledge_dir)
    except KnowledgeError as exc:
        print_problems(exc.problems, f"kb news: {len(exc.problems)} problem(s) in the knowledge, see `banbot kb check`")
        return 1
    when = now or dt.datetime.now(dt.UTC)
    report = asyncio.run(
        _run(
            settings,
            kb,
            feeds,
            days=days,
            request_seconds=timeout,
            run_seconds=max_time,
            now=when,
            transport=transport,
        )
    )
    for outcome in report.feeds:
        if outcome.failed or outcome.problem:
            print(f"warning: {outcome.line()}", file=sys.stderr)
    for listed in report.uncovered[:limit]:
        print(listed.line())
    if len(report.uncovered) > limit:
        print(f"… and {len(report.uncovered) - limit} more (--limit)")
    print(report.summary())
    return 1 if all(outcome.failed for outcome in report.feeds) else 0
