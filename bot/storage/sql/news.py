"""What `banbot kb news` and the curator digest keep: feed validators, news items seen, digests claimed.

The tables come from migration 5. Same engine as the rest of the store (SQLite or PostgreSQL); every method
is one short transaction. The digest claim works like the delivery outbox: a row unique per date is inserted
before sending (only one process wins it), marked sent after, and a claim whose lease ran out (its process
died) can be taken over by exactly one other process.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, or_, select, update
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.sql.tables import UTCDateTime

_meta = MetaData()

news_feeds = Table(
    "news_feeds",
    _meta,
    Column("feed_id", String(64), primary_key=True),
    Column("url", Text, nullable=False),
    Column("etag", Text, nullable=True),
    Column("last_modified", Text, nullable=True),
    Column("checked_at", UTCDateTime, nullable=False),
    Column("status", String(200), nullable=False),
)

news_items = Table(
    "news_items",
    _meta,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_key", String(64), nullable=False, unique=True),
    Column("feed_id", String(64), nullable=False),
    Column("url", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("publisher", Text, nullable=True),
    Column("publisher_url", Text, nullable=True),
    Column("published_at", UTCDateTime, nullable=True),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("digest_date", String(10), nullable=True),
)

curator_digests = Table(
    "curator_digests",
    _meta,
    Column("digest_date", String(10), primary_key=True),
    Column("chat", String(128), nullable=False),
    Column("state", String(16), nullable=False),  # claimed | sent | failed
    Column("attempts", Integer, nullable=False),
    Column("claimed_by", String(64), nullable=True),
    Column("lease_until", UTCDateTime, nullable=True),
    Column("claimed_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("items", Integer, nullable=False),
    Column("detail", Text, nullable=True),
)

TABLES = (news_feeds, news_items, curator_digests)


@dataclass(frozen=True, slots=True)
class FeedState:
    """The validators a feed's last good response carried, for the next conditional GET."""

    feed_id: str
    url: str
    etag: str | None
    last_modified: str | None


@dataclass(frozen=True, slots=True)
class NewsItem:
    """One item of a feed, as parsed. `key` identifies the story across feeds (a hash of its guid or link)."""

    key: str
    feed_id: str
    url: str
    title: str
    summary: str
    publisher: str | None
    publisher_url: str | None
    published_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class SeenItem:
    item: NewsItem
    first_seen_at: dt.datetime


class DigestState(StrEnum):
    CLAIMED = "claimed"  # a process owns it until lease_until (or waits until then to retry)
    SENT = "sent"  # never sent again
    FAILED = "failed"  # gave up for that date


@dataclass(frozen=True, slots=True)
class DigestClaim:
    digest_date: dt.date
    attempts: int
    """Including this one."""


def _seen(row: Any) -> SeenItem:
    m = row._mapping
    item = NewsItem(
        key=m["item_key"],
        feed_id=m["feed_id"],
        url=m["url"],
        title=m["title"],
        summary=m["summary"],
        publisher=m["publisher"],
        publisher_url=m["publisher_url"],
        published_at=m["published_at"],
    )
    return SeenItem(item, m["first_seen_at"])


class NewsStore:
    """Feed state, news items and curator digests on the store's engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    def _insert(self, table: Table) -> pg.Insert | sqlite.Insert:
        return pg.insert(table) if self.engine.dialect.name == "postgresql" else sqlite.insert(table)

    # --- feeds ---

    async def feed_state(self, feed_id: str) -> FeedState | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(news_feeds).where(news_feeds.c.feed_id == feed_id))).first()
        if row is None:
            return None
        m = row._mapping
        return FeedState(m["feed_id"], m["url"], m["etag"], m["last_modified"])

    async def save_feed_state(
        self,
        state: FeedState,
        *,
        checked_at: dt.datetime,
        status: str,
        keep_validators: bool = False,
    ) -> None:
        """Record a poll. With `keep_validators` (a 304 or an error) the stored ETag/Last-Modified stay."""
        values = {
            "feed_id": state.feed_id,
            "url": state.url,
            "etag": state.etag,
            "last_modified": state.last_modified,
            "checked_at": checked_at,
            "status": status[:200],
        }
        changes = {"checked_at": checked_at, "status": status[:200]}
        if not keep_validators:
            changes |= {"url": state.url, "etag": state.etag, "last_modified": state.last_modified}
        stmt = self._insert(news_feeds).values(**values).on_conflict_do_update(index_elements=["feed_id"], set_=changes)
        async with self.engine.begin() as conn:
            await conn.execute(stmt)

    # --- items ---

    async def add_items(self, items: Sequence[NewsItem], seen_at: dt.datetime) -> set[str]:
        """Store items not seen before; return the keys of the new ones."""
        if not items:
            return set()
        unique = list({item.key: item for item in items}.values())
        new: set[str] = set()
        async with self.engine.begin() as conn:
            for start in range(0, len(unique), 200):
                rows = [
                    {
                        "item_key": i.key,
                        "feed_id": i.feed_id,
                        "url": i.url,
                        "title": i.title,
                        "summary": i.summary,
                        "publisher": i.publisher,
                        "publisher_url": i.publisher_url,
                        "published_at": i.published_at,
                        "first_seen_at": seen_at,
                    }
                    for i in unique[start : start + 200]
                ]
                stmt = (
                    self._insert(news_items)
                    .values(rows)
                    .on_conflict_do_nothing(index_elements=["item_key"])
                    .returning(news_items.c.item_key)
                )
                new.update(str(key) for key in (await conn.execute(stmt)).scalars())
        return new

    async def items_seen_since(self, since: dt.datetime, *, undigested: bool = False) -> list[SeenItem]:
        """Items first seen at or after `since` (only those no digest has listed yet, with `undigested`)."""
        query = select(news_items).where(news_items.c.first_seen_at >= since).order_by(news_items.c.id)
        if undigested:
            query = query.where(news_items.c.digest_date.is_(None))
        async with self.engine.connect() as conn:
            return [_seen(row) for row in await conn.execute(query)]

    async def mark_digested(self, keys: Sequence[str], digest_date: dt.date) -> None:
        if not keys:
            return
        async with self.engine.begin() as conn:
            await conn.execute(
                update(news_items)
                .where(news_items.c.item_key.in_(list(keys)), news_items.c.digest_date.is_(None))
                .values(digest_date=digest_date.isoformat())
            )

    async def prune_items(self, before: dt.datetime) -> int:
        async with self.engine.begin() as conn:
            result = await conn.execute(news_items.delete().where(news_items.c.first_seen_at < before))
        return int(result.rowcount)

    # --- curator digests ---

    async def claim_digest(
        self, digest_date: dt.date, chat: str, *, owner: str, now: dt.datetime, lease_until: dt.datetime
    ) -> DigestClaim | None:
        """Own the digest of `digest_date`: insert its row, or take over a claim whose lease ran out.

        Returns None when another process holds it, or it was already sent or given up.
        """
        day = digest_date.isoformat()
        insert = (
            self._insert(curator_digests)
            .values(
                digest_date=day,
                chat=chat[:128],
                state=DigestState.CLAIMED.value,
                attempts=1,
                claimed_by=owner[:64],
                lease_until=lease_until,
                claimed_at=now,
                items=0,
            )
            .on_conflict_do_nothing(index_elements=["digest_date"])
            .returning(curator_digests.c.attempts)
        )
        async with self.engine.begin() as conn:
            if (await conn.execute(insert)).first() is not None:
                return DigestClaim(digest_date, 1)
            taken = (
                await conn.execute(
                    update(curator_digests)
                    .where(
                        curator_digests.c.digest_date == day,
                        curator_digests.c.state == DigestState.CLAIMED.value,
                        or_(curator_digests.c.lease_until.is_(None), curator_digests.c.lease_until < now),
                    )
                    .values(
                        claimed_by=owner[:64],
                        lease_until=lease_until,
                        attempts=curator_digests.c.attempts + 1,
                    )
                    .returning(curator_digests.c.attempts)
                )
            ).first()
        return DigestClaim(digest_date, int(taken[0])) if taken is not None else None

    async def finish_digest(
        self,
        claim: DigestClaim,
        state: DigestState,
        *,
        owner: str,
        now: dt.datetime,
        items: int = 0,
        detail: str | None = None,
    ) -> None:
        """Record the outcome. A sent digest stays sent whatever arrives later; "sent" is recorded even when
        another process took the claim over meanwhile (the post went out: it must not go out again)."""
        where = [
            curator_digests.c.digest_date == claim.digest_date.isoformat(),
            curator_digests.c.state != DigestState.SENT.value,
        ]
        if state is not DigestState.SENT:
            where.append(curator_digests.c.claimed_by == owner[:64])
        async with self.engine.begin() as conn:
            await conn.execute(
                update(curator_digests)
                .where(*where)
                .values(
                    state=state.value,
                    lease_until=None,
                    finished_at=now,
                    items=items,
                    detail=(detail or None) and detail[:1000],
                )
            )

    async def retry_digest_at(self, claim: DigestClaim, *, owner: str, at: dt.datetime, detail: str) -> None:
        """Give the claim back until `at`: then any process (this one included) may take it and try again."""
        async with self.engine.begin() as conn:
            await conn.execute(
                update(curator_digests)
                .where(
                    curator_digests.c.digest_date == claim.digest_date.isoformat(),
                    curator_digests.c.claimed_by == owner[:64],
                    curator_digests.c.state == DigestState.CLAIMED.value,
                )
                .values(lease_until=at, detail=detail[:1000])
            )

    async def digest_state(self, digest_date: dt.date) -> DigestState | None:
        async with self.engine.connect() as conn:
            value = (
                await conn.execute(
                    select(curator_digests.c.state).where(curator_digests.c.digest_date == digest_date.isoformat())
                )
            ).scalar()
        return DigestState(value) if value is not None else None
