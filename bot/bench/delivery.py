"""`banbot bench delivery`: broadcast throughput against a rate limit, and the tick's claim query at scale.

1. Send rate: N subscriptions due at once go through the real engine (SQLite store, pacer, recorder) to a
   fake Telegram sender that enforces the limit itself (a sliding window: more than `rate` sends in any
   second gets a 429). Half are in `daily` mode (a countdown post), half in `daily` + `updates` mode with
   an announcement dated that day in the knowledge (an announcement post, which the tick finds by asking
   storage which subscriptions already have it). Measured in REAL time (wall clock); the limit is scaled up
   from Telegram's 25/s so the run takes seconds, not minutes. Reports the achieved rate as a percentage of
   the limit.
2. Claim query: M subscriptions spread over every minute of the day and many time zones; times the
   tick's claim query (due_subscriptions) and the whole claim (query + plan + insert + advance) over
   consecutive minutes, on SQLite and (when reachable) PostgreSQL, with p50/p95.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import os
import random
import statistics
import tempfile
import time
import uuid
from collections import deque
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.delivery.engine import DeliveryEngine
from bot.delivery.local_times import next_occurrence
from bot.delivery.outbox import plan_claims
from bot.delivery.ports import Post, SendResult, SendStatus
from bot.delivery.selection import PostSelector
from bot.knowledge.loader import KnowledgeBase, load_knowledge
from bot.knowledge.schema import Announcement, Heading, PostText
from bot.settings import PROJECT_ROOT, Settings
from bot.storage.base import Store
from bot.storage.records import DAILY_ONLY, Mode, NewSubscription
from bot.storage.sql import open_store
from bot.types import ChatRef, Platform

BENCH_ZONES = (
    "UTC",
    "America/New_York",
    "America/Los_Angeles",
    "America/Chicago",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Adelaide",
    "Australia/Lord_Howe",
)
DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
START = dt.datetime(2025, 1, 10, 0, 0, tzinfo=dt.UTC)


class LimitEnforcingSender:
    """A fake platform that answers 429 when more than `limit` sends arrive within any second."""

    platform = Platform.TELEGRAM

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.times: list[float] = []
        self.rejected = 0
        self.announcements = 0
        self._window: deque[float] = deque()

    async def send(self, post: Post) -> SendResult:
        now = time.monotonic()
        while self._window and self._window[0] <= now - 1.0:
            self._window.popleft()
        if len(self._window) >= self.limit:
            self.rejected += 1
            return SendResult(SendStatus.RATE_LIMITED, retry_after=1.0)
        self._window.append(now)
        self.times.append(now)
        self.announcements += post.more_ref is not None and post.more_ref.startswith("a:")
        return SendResult.sent()


BENCH_ANNOUNCEMENT = "bench-announcement"


def with_announcement(kb: KnowledgeBase, day: dt.date) -> KnowledgeBase:
    """The knowledge plus one announcement dated `day`, as if a curator had just added it."""
    ann = Announcement(
        id=BENCH_ANNOUNCEMENT,
        date=day,
        heading=Heading(en="Benchmark announcement", zh="基准测试公告"),
        text=PostText(en="A development recorded for the benchmark.", zh="为基准测试记录的进展。"),
        deadline=kb.primary_deadline,
        sources=kb.deadlines[kb.primary_deadline].sources[:1],
    )
    return dataclasses.replace(kb, announcements={**kb.announcements, ann.id: ann})


def _row(i: int, local: dt.time, zone: str, due: dt.datetime, modes: frozenset[Mode] = DAILY_ONLY) -> NewSubscription:
    return NewSubscription(
        chat=ChatRef(Platform.TELEGRAM, str(1_000_000 + i), None, is_group=False),
        deadline_id="law-effective",
        local_time=local,
        timezone=zone,
        lang="en",
        created_by="bench",
        created_at=START - dt.timedelta(days=1),
        next_due_at=due,
        modes=modes,
    )


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def bench_send_rate(kb: KnowledgeBase, count: int, rate: int, workdir: Path) -> str:
    store = await open_store(f"sqlite+aiosqlite:///{workdir / 'send.sqlite3'}")
    try:
        due = START.replace(hour=9)
        news = frozenset({Mode.DAILY, Mode.UPDATES})
        await store.bulk_add_subscriptions(
            [_row(i, due.time(), "UTC", due, news if i % 2 else DAILY_ONLY) for i in range(count)]
        )
        kb = with_announcement(kb, due.date())
        sender = LimitEnforcingSender(rate)
        settings = Settings(
            _env_file=None,
            telegram_rate_global=float(rate),
            delivery_claim_batch=count,
        )
        t0 = time.monotonic()

        def clock() -> dt.datetime:
            return due + dt.timedelta(seconds=time.monotonic() - t0)

        engine = DeliveryEngine(store, lambda: kb, {Platform.TELEGRAM: sender}, clock, settings)
        report = await engine.run_once()
        total = time.monotonic() - t0
        states = await store.delivery_states()
    finally:
        await store.close()
    sent = len(sender.times)
    span = sender.times[-1] - sender.times[0] if sent > 1 else float("nan")
    achieved = (sent - 1) / span if sent > 1 else 0.0
    return (
        f"send rate (real time, SQLite store): {report.claimed} claimed, {sent} sent "
        f"({sent - sender.announcements} countdown and {sender.announcements} announcement posts), "
        f"recorded {states}\n"
        f"  limit {rate}/s enforced by the fake platform; achieved {achieved:.1f}/s = {100 * achieved / rate:.1f}% "
        f"of the limit over {span:.1f}s (first to last send); 429s from the platform: {sender.rejected}; "
        f"total with claim and recording {total:.1f}s"
    )


async def bench_claim_query(
    kb: KnowledgeBase, url: str, count: int, samples: int, *, schema: str | None, label: str
) -> str:
    store = await open_store(url, schema=schema)
    try:
        rng = random.Random(7)
        now0 = START + dt.timedelta(hours=9)
        rows = []
        for i in range(count):
            local = dt.time(rng.randrange(24), rng.randrange(60))
            zone = rng.choice(BENCH_ZONES)
            rows.append(_row(i, local, zone, next_occurrence(now0, local, ZoneInfo(zone)).at))
        t_seed = time.perf_counter()
        await store.bulk_add_subscriptions(rows)
        seeded = time.perf_counter() - t_seed
        steady = await _time_ticks(store, kb, [now0 + dt.timedelta(minutes=m) for m in range(1, samples + 1)])
        # backlog: a day later everything is due at once; each tick claims a full batch of 1000
        backlog = await _time_ticks(store, kb, [now0 + dt.timedelta(days=1, minutes=m) for m in range(5)])
    finally:
        await store.close()
    return (
        f"claim query at {count:,} subscriptions on {label} (seeded in {seeded:.1f}s):\n"
        f"  steady ticks, {steady.summary()}\n"
        f"  backlog ticks, {backlog.summary()}"
    )


class _Timings:
    def __init__(self) -> None:
        self.query_ms: list[float] = []
        self.claim_ms: list[float] = []
        self.due: list[int] = []

    def summary(self) -> str:
        return (
            f"{statistics.mean(self.due):.0f} due per tick over {len(self.due)} ticks: "
            f"query p50 {_pct(self.query_ms, 0.5):.1f} ms, p95 {_pct(self.query_ms, 0.95):.1f} ms; "
            f"whole claim (query + insert + advance) p50 {_pct(self.claim_ms, 0.5):.1f} ms, "
            f"p95 {_pct(self.claim_ms, 0.95):.1f} ms"
        )


async def _time_ticks(store: Store, kb: KnowledgeBase, moments: list[dt.datetime]) -> _Timings:
    out = _Timings()
    countdowns = PostSelector(kb, [], set(), window_days=0)  # no announcements: countdowns only
    grace = dt.timedelta(hours=6)
    for now in moments:
        t1 = time.perf_counter()
        due = await store.due_subscriptions(now, [Platform.TELEGRAM], 1000)
        t2 = time.perf_counter()
        plan = plan_claims(due, now, grace, countdowns.choose)
        await store.claim(plan.claims, plan.advances, owner="bench", lease_until=now + dt.timedelta(minutes=5), now=now)
        t3 = time.perf_counter()
        out.query_ms.append((t2 - t1) * 1000)
        out.claim_ms.append((t3 - t1) * 1000)
        out.due.append(len(due))
    return out


async def _pg_schema(url: str, sql: str) -> None:
    import asyncpg  # type: ignore[import-untyped]

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1), timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def run_delivery_bench(settings: Settings | None = None, **options: Any) -> str:
    """Synchronous entry for `banbot bench delivery`: knowledge from `settings`, and its database URL for the
    PostgreSQL part when it is a PostgreSQL URL. `options` go to `delivery_bench`."""
    if settings is not None:
        options.setdefault("knowledge_dir", settings.knowledge_dir)
        if settings.database_url.startswith("postgresql"):
            options.setdefault("postgres_url", settings.database_url)
    return asyncio.run(delivery_bench(**options))


async def delivery_bench(
    *,
    subscriptions: int = 10_000,
    rate: int = 500,
    claim_rows: int = 100_000,
    samples: int = 30,
    postgres_url: str | None = None,
    knowledge_dir: Path | None = None,
) -> str:
    """Run both benchmarks and return a printable report. PostgreSQL: `postgres_url`, else
    BANBOT_BENCH_POSTGRES_URL, else the local default; skipped with a note when unreachable."""
    kb = load_knowledge(knowledge_dir or PROJECT_ROOT / "knowledge")
    lines = ["banbot bench delivery"]
    with tempfile.TemporaryDirectory(prefix="banbot-bench-") as tmp:
        workdir = Path(tmp)
        lines.append(await bench_send_rate(kb, subscriptions, rate, workdir))
        lines.append(
            await bench_claim_query(
                kb, f"sqlite+aiosqlite:///{workdir / 'claim.sqlite3'}", claim_rows, samples, schema=None, label="SQLite"
            )
        )
    pg_url = postgres_url or os.environ.get("BANBOT_BENCH_POSTGRES_URL", DEFAULT_PG_URL)
    schema = f"banbot_bench_{uuid.uuid4().hex[:10]}"
    try:
        await _pg_schema(pg_url, f'CREATE SCHEMA "{schema}"')
    except Exception as exc:
        lines.append(f"PostgreSQL: skipped ({pg_url.split('@')[-1]} unreachable: {type(exc).__name__})")
    else:
        try:
            lines.append(await bench_claim_query(kb, pg_url, claim_rows, samples, schema=schema, label="PostgreSQL"))
        finally:
            await _pg_schema(pg_url, f'DROP SCHEMA "{schema}" CASCADE')
    return "\n".join(lines)


def main() -> None:  # pragma: no cover - manual use: python -m bot.bench.delivery
    import sys

    sys.stdout.write(run_delivery_bench() + "\n")


if __name__ == "__main__":  # pragma: no cover
    main()
