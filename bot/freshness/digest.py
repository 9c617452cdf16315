"""The daily curator digest: news the knowledge does not cover yet, posted once a day to BANBOT_CURATOR_CHAT.

Exactly once per day, across restarts and processes, the way the delivery outbox does it: a process first
claims the day's row in curator_digests (unique per date: one process wins), then polls the feeds, sends
through the platform's sender, and records the outcome. A claim carries a lease; if its process dies before
recording, another process takes the claim over once the lease has run out (a digest that was mid-send then
may go out twice; none is lost). A digest marked sent is never sent again. Transient send failures give the
claim back for RETRY_AFTER, up to MAX_ATTEMPTS; a refused chat ends the day's attempts with one warning.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path

import httpx

from bot.core.models import Reply, ReplyKind
from bot.delivery.ports import Post, Sender, SendResult, SendStatus
from bot.errors import KnowledgeError
from bot.freshness.feeds import Feed, load_feeds
from bot.freshness.http import make_client
from bot.freshness.news import NewsReport, collect_news
from bot.knowledge.loader import KnowledgeBase
from bot.settings import Settings
from bot.storage.base import claim_owner_id
from bot.storage.sql import SqlStore
from bot.storage.sql.news import DigestClaim, DigestState, NewsStore
from bot.types import ChatRef, Clock, Platform

log = logging.getLogger(__name__)

CHECK_SECONDS = 300.0
"""How often a running bot looks whether today's digest is due."""
LEASE = dt.timedelta(minutes=15)
RETRY_AFTER = dt.timedelta(minutes=10)
MAX_ATTEMPTS = 5
LOOKBACK_DAYS = 7.0
"""Items first seen this recently and in no earlier digest are candidates."""
DIGEST_ITEMS = 10
FETCH_TIMEOUT = 20.0
"""Each feed's fetch, redirects and body included, ends this many seconds after it began."""
COLLECT_SECONDS = 120.0
"""The feeds' polling ends this long after it began (well inside LEASE): a feed unfinished by then is slow."""


def parse_curator_chat(value: str) -> ChatRef:
    """ "telegram:-100123" or "discord:456" (validated by Settings) as a chat reference."""
    platform, _, chat_id = value.partition(":")
    return ChatRef(Platform(platform), chat_id)


def render_digest(day: dt.date, report: NewsReport, problems: list[str], limit: int = DIGEST_ITEMS) -> Reply:
    """Plain text, one paragraph per item (title, link, closest entry), feed problems at the end."""
    shown = report.uncovered[:limit]
    if shown:
        head = f"News for curators, {day}: {len(report.uncovered)} recent stories the knowledge does not cover yet."
    else:
        head = f"News for curators, {day}: nothing new that the knowledge does not cover."
    paragraphs = [head]
    for n, listed in enumerate(shown, 1):
        item = listed.seen.item
        publisher = f" — {item.publisher}" if item.publisher else ""
        paragraphs.append(f"{n}. {item.title}{publisher} ({listed.day})\n{item.url}\n{listed.assessment.reason}")
    if len(report.uncovered) > len(shown):
        paragraphs.append(f"… and {len(report.uncovered) - len(shown)} more: run `banbot kb news` for the list.")
    failed = [f.line() for f in report.feeds if f.failed or f.problem]
    if problems or failed:
        paragraphs.append("Feed problems:\n" + "\n".join([*problems, *failed]))
    return Reply(kind=ReplyKind.SOURCES, text="\n\n".join(paragraphs), lang="en")


class CuratorDigest:
    """Posts the day's digest once. `run_once()` does one check; `run_forever()` checks every few minutes."""

    def __init__(
        self,
        *,
        store: NewsStore,
        sender: Sender,
        chat: ChatRef,
        knowledge: Callable[[], KnowledgeBase],
        feeds_root: Path,
        clock: Clock,
        post_time: dt.time,
        owner: str | None = None,
        allow_private: bool = False,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._store = store
        self._sender = sender
        self._chat = chat
        self._knowledge = knowledge
        self._feeds_root = feeds_root
        self._clock = clock
        self._post_time = post_time
        self._owner = (owner or claim_owner_id())[:64]
        self._allow_private = allow_private
        self._transport = transport

    @property
    def chat_label(self) -> str:
        return f"{self._chat.platform.value}:{self._chat.chat_id}"

    async def run_once(self) -> DigestState | None:
        """Post today's digest if it is due and no process has; returns what became of it, None if not ours."""
        now = self._clock().astimezone(dt.UTC)
        if now.time() < self._post_time:
            return None
        day = now.date()
        if await self._store.digest_state(day) in (DigestState.SENT, DigestState.FAILED):
            return None
        claim = await self._store.claim_digest(
            day, self.chat_label, owner=self._owner, now=now, lease_until=now + LEASE
        )
        if claim is None:
            return None
        try:
            report, problems = await self._collect(now)
        except Exception as exc:  # a database or feed bug: give the claim back and try again later
            log.exception("curator digest %s: collecting news failed", day)
            await self._retry_or_fail(claim, now, f"collect: {exc!r}")
            return DigestState.CLAIMED
        return await self._send(claim, report, problems)

    async def _collect(self, now: dt.datetime) -> tuple[NewsReport, list[str]]:
        problems: list[str] = []
        feeds: list[Feed] = []
        try:
            feeds = load_feeds(self._feeds_root)
        except KnowledgeError as exc:
            problems = [str(p) for p in exc.problems]
        async with make_client(
            "news",
            timeout=FETCH_TIMEOUT,
            max_connections=max(1, len(feeds)),
            allow_private=self._allow_private,
            transport=self._transport,
        ) as client:
            report = await collect_news(
                self._store,
                client,
                feeds,
                self._knowledge(),
                now,
                days=LOOKBACK_DAYS,
                within=COLLECT_SECONDS,
                undigested=True,
            )
        for line in [*problems, *(f.line() for f in report.feeds if f.failed or f.problem)]:
            log.warning("curator digest: %s", line)
        return report, problems

    async def _send(self, claim: DigestClaim, report: NewsReport, problems: list[str]) -> DigestState:
        day = claim.digest_date
        post = Post(chat=self._chat, reply=render_digest(day, report, problems), key=f"digest-{day:%Y%m%d}")
        try:
            result = await self._sender.send(post)
        except Exception as exc:  # senders classify errors; count a slip as transient
            log.exception("curator digest %s: sender raised", day)
            result = SendResult(SendStatus.TRANSIENT, detail=repr(exc))
        now = self._clock()
        listed = report.uncovered[:DIGEST_ITEMS]
        if result.status is SendStatus.SENT:
            await self._store.finish_digest(claim, DigestState.SENT, owner=self._owner, now=now, items=len(listed))
            await self._store.mark_digested([x.seen.item.key for x in listed], day)
            log.info("curator digest %s sent to %s: %d item(s)", day, self.chat_label, len(listed))
            return DigestState.SENT
        if result.status in (SendStatus.TRANSIENT, SendStatus.RATE_LIMITED):
            return await self._retry_or_fail(claim, now, f"{result.status.value}: {result.detail}")
        hint = f" (the chat moved to {result.new_chat_id}: update it)" if result.new_chat_id else ""
        log.warning(
            "curator digest %s: %s refused it: %s %s%s; check BANBOT_CURATOR_CHAT",
            day,
            self.chat_label,
            result.status.value,
            result.detail,
            hint,
        )
        await self._store.finish_digest(
            claim, DigestState.FAILED, owner=self._owner, now=now, detail=f"{result.status.value}: {result.detail}"
        )
        return DigestState.FAILED

    async def _retry_or_fail(self, claim: DigestClaim, now: dt.datetime, detail: str) -> DigestState:
        if claim.attempts >= MAX_ATTEMPTS:
            log.warning("curator digest %s: giving up after %d attempts: %s", claim.digest_date, claim.attempts, detail)
            await self._store.finish_digest(claim, DigestState.FAILED, owner=self._owner, now=now, detail=detail)
            return DigestState.FAILED
        log.info("curator digest %s: attempt %d failed (%s); retrying later", claim.digest_date, claim.attempts, detail)
        await self._store.retry_digest_at(claim, owner=self._owner, at=now + RETRY_AFTER, detail=detail)
        return DigestState.CLAIMED

    async def run_forever(
        self, interval: float = CHECK_SECONDS, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    ) -> None:
        """Check now, then every `interval` seconds, until cancelled; one failed check never stops the loop."""
        while True:
            try:
                await self.run_once()
            except Exception:
                log.exception("curator digest: check failed; next check in %.0fs", interval)
            await sleep(interval)


def start_curator_digest(
    settings: Settings,
    store: object,
    knowledge: Callable[[], KnowledgeBase],
    senders: Mapping[Platform, Sender],
    clock: Clock,
) -> asyncio.Task[None] | None:
    """The digest loop as a task, when BANBOT_CURATOR_CHAT is set and its platform's adapter runs."""
    if settings.curator_chat is None:
        return None
    chat = parse_curator_chat(settings.curator_chat)
    sender = senders.get(chat.platform)
    if not isinstance(store, SqlStore):
        log.warning("curator digest off: it keeps its state in the SQL database, not in %s", type(store).__name__)
        return None
    if sender is None:
        log.warning(
            "curator digest off: BANBOT_CURATOR_CHAT is on %s, which is not running (set its token)",
            chat.platform.value,
        )
        return None
    digest = CuratorDigest(
        store=NewsStore(store.engine),
        sender=sender,
        chat=chat,
        knowledge=knowledge,
        feeds_root=settings.knowledge_dir,
        clock=clock,
        post_time=settings.curator_digest_time,
        allow_private=settings.fetch_allow_private,
    )
    log.info("curator digest: daily after %s UTC to %s", settings.curator_digest_time, digest.chat_label)
    return asyncio.create_task(digest.run_forever(), name="curator-digest")
