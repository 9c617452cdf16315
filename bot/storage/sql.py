"""The store: every query banbot runs, on SQLAlchemy 2 async (SQLite via aiosqlite, PostgreSQL via asyncpg)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    case,
    delete,
    event,
    false,
    func,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Row, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bot.storage import migrations
from bot.storage.records import (
    Advance,
    Claim,
    ClaimedDelivery,
    DeliveryState,
    FeedbackCount,
    Gap,
    NewSubscription,
    Outcome,
    SubscriptionRecord,
)
from bot.storage.tables import deliveries, feedback, gaps, subscriptions
from bot.types import ChatRef, Lang, Platform

log = logging.getLogger(__name__)

_CHUNK = 500  # rows per multi-row statement (SQLite caps bound parameters)


class DuplicateSubscriptionError(Exception):
    """The chat already has this subscription (same deadline, time and zone)."""

    def __init__(self, existing: SubscriptionRecord) -> None:
        super().__init__(f"duplicate of subscription {existing.id}")
        self.existing = existing


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _parse_time(value: str) -> dt.time:
    hour, minute = value.split(":")
    return dt.time(int(hour), int(minute))


def _record(row: Row[Any]) -> SubscriptionRecord:
    m = row._mapping
    lang: Lang = "zh" if m["lang"] == "zh" else "en"
    return SubscriptionRecord(
        id=int(m["id"]),
        chat=ChatRef(Platform(m["platform"]), m["chat_id"], m["thread_id"] or None, bool(m["is_group"])),
        deadline_id=m["deadline_id"],
        local_time=_parse_time(m["local_time"]),
        timezone=m["timezone"],
        lang=lang,
        created_by=m["created_by"],
        created_at=m["created_at"],
        active=bool(m["active"]),
        paused=bool(m["paused"]),
        inactive_reason=m["inactive_reason"],
        next_due_at=m["next_due_at"],
    )


def _chat_filter(chat: ChatRef) -> ColumnElement[bool]:
    return and_(
        subscriptions.c.platform == chat.platform.value,
        subscriptions.c.chat_id == chat.chat_id,
        subscriptions.c.thread_id == (chat.thread_id or ""),
    )


def _sqlite_setup(engine: AsyncEngine) -> None:
    """WAL, foreign keys, a busy timeout, and BEGIN IMMEDIATE so two writers never deadlock on upgrade."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


async def open_store(url: str, *, schema: str | None = None, migrate: bool = True) -> Store:
    """Connect (creating the SQLite file's directory if needed) and migrate the schema to the latest version.

    `schema` (PostgreSQL only) sets the search_path, so several installations or test runs can share a
    database without colliding.
    """
    parsed = make_url(url)
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30}
    elif schema:
        kwargs["connect_args"] = {"server_settings": {"search_path": schema}}
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _sqlite_setup(engine)
    if migrate:
        await migrations.migrate(engine)
    return Store(engine)


class Store:
    """All persistence. Methods are small transactions; none holds a transaction across an await elsewhere."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    async def close(self) -> None:
        await self.engine.dispose()

    def _insert(self, table: Any) -> pg.Insert | sqlite.Insert:
        return pg.insert(table) if self.dialect == "postgresql" else sqlite.insert(table)

    async def ping(self) -> None:
        """Raise if the database cannot be reached (health check)."""
        async with self.engine.connect() as conn:
            await conn.execute(select(1))

    async def subscription_counts(self) -> dict[str, int]:
        """Subscriptions by state: active, paused, inactive (for metrics)."""
        state = case(
            (subscriptions.c.active == false(), "inactive"),
            (subscriptions.c.paused == true(), "paused"),
            else_="active",
        )
        counts = {"active": 0, "paused": 0, "inactive": 0}
        async with self.engine.connect() as conn:
            for name, n in await conn.execute(select(state, func.count()).group_by(state)):
                counts[str(name)] = int(n)
        return counts

    # --- subscriptions ---

    async def _find_same(self, conn: AsyncConnection, new: NewSubscription) -> SubscriptionRecord | None:
        row = (
            await conn.execute(
                select(subscriptions).where(
                    _chat_filter(new.chat),
                    subscriptions.c.deadline_id == new.deadline_id,
                    subscriptions.c.local_time == new.local_time.strftime("%H:%M"),
                    subscriptions.c.timezone == new.timezone,
                )
            )
        ).first()
        return _record(row) if row else None

    async def add_subscription(self, new: NewSubscription) -> SubscriptionRecord:
        """Insert, or reactivate an inactive identical one; raise DuplicateSubscriptionError if it is live."""
        values = {
            "platform": new.chat.platform.value,
            "chat_id": new.chat.chat_id,
            "thread_id": new.chat.thread_id or "",
            "is_group": new.chat.is_group,
            "deadline_id": new.deadline_id,
            "local_time": new.local_time.strftime("%H:%M"),
            "timezone": new.timezone,
            "lang": new.lang,
            "created_by": new.created_by,
            "created_at": new.created_at,
            "active": True,
            "paused": False,
            "inactive_reason": None,
            "next_due_at": new.next_due_at,
        }
        try:
            async with self.engine.begin() as conn:
                same = await self._find_same(conn, new)
                if same is not None and same.active:
                    raise DuplicateSubscriptionError(same)
                if same is not None:
                    await conn.execute(update(subscriptions).where(subscriptions.c.id == same.id).values(**values))
                    sub_id = same.id
                else:
                    result = await conn.execute(subscriptions.insert().values(**values).returning(subscriptions.c.id))
                    sub_id = int(result.scalar_one())
                row = (await conn.execute(select(subscriptions).where(subscriptions.c.id == sub_id))).one()
                return _record(row)
        except IntegrityError:  # a concurrent identical subscribe won the race
            async with self.engine.connect() as conn:
                same = await self._find_same(conn, new)
            if same is None:
                raise
            raise DuplicateSubscriptionError(same) from None

    async def list_subscriptions(self, chat: ChatRef, *, include_inactive: bool = False) -> list[SubscriptionRecord]:
        query = select(subscriptions).where(_chat_filter(chat)).order_by(subscriptions.c.id)
        if not include_inactive:
            query = query.where(subscriptions.c.active == true())
        async with self.engine.connect() as conn:
            return [_record(row) for row in await conn.execute(query)]

    async def get_subscription(self, subscription_id: int) -> SubscriptionRecord | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(subscriptions).where(subscriptions.c.id == subscription_id))).first()
        return _record(row) if row else None

    async def delete_subscriptions(self, ids: Sequence[int]) -> int:
        if not ids:
            return 0
        async with self.engine.begin() as conn:
            result = await conn.execute(delete(subscriptions).where(subscriptions.c.id.in_(list(ids))))
        return int(result.rowcount)

    async def set_schedule(self, updates: Sequence[tuple[int, bool, dt.datetime | None]]) -> int:
        """Set (paused, next_due_at) per subscription id; used by pause and resume."""
        if not updates:
            return 0
        stmt = (
            update(subscriptions)
            .where(subscriptions.c.id == bindparam("b_id"))
            .values(paused=bindparam("b_paused"), next_due_at=bindparam("b_next"))
        )
        async with self.engine.begin() as conn:
            await conn.execute(stmt, [{"b_id": i, "b_paused": p, "b_next": n} for i, p, n in updates])
        return len(updates)

    async def deactivate_chat(self, platform: Platform, chat_id: str, reason: str) -> int:
        """Every live subscription of the chat (all threads) goes inactive, with the reason kept."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(subscriptions)
                .where(
                    subscriptions.c.platform == platform.value,
                    subscriptions.c.chat_id == chat_id,
                    subscriptions.c.active == true(),
                )
                .values(active=False, next_due_at=None, inactive_reason=reason[:500])
            )
        return int(result.rowcount)

    async def migrate_chat(self, platform: Platform, old_chat_id: str, new_chat_id: str) -> int:
        """Move a chat's subscriptions to its new id; ones the new chat already has are dropped."""
        moved = 0
        async with self.engine.begin() as conn:
            rows = (
                await conn.execute(
                    select(subscriptions).where(
                        subscriptions.c.platform == platform.value, subscriptions.c.chat_id == old_chat_id
                    )
                )
            ).all()
            for row in rows:
                rec = _record(row)
                clash = (
                    await conn.execute(
                        select(subscriptions.c.id).where(
                            subscriptions.c.platform == platform.value,
                            subscriptions.c.chat_id == new_chat_id,
                            subscriptions.c.thread_id == (rec.chat.thread_id or ""),
                            subscriptions.c.deadline_id == rec.deadline_id,
                            subscriptions.c.local_time == rec.local_time.strftime("%H:%M"),
                            subscriptions.c.timezone == rec.timezone,
                        )
                    )
                ).first()
                if clash is not None:
                    await conn.execute(delete(subscriptions).where(subscriptions.c.id == rec.id))
                    continue
                await conn.execute(
                    update(subscriptions).where(subscriptions.c.id == rec.id).values(chat_id=new_chat_id)
                )
                moved += 1
        return moved

    # --- delivery ---

    async def due_subscriptions(
        self, now: dt.datetime, platforms: Sequence[Platform], limit: int
    ) -> list[SubscriptionRecord]:
        """Live subscriptions whose next post time has come (the tick's claim query; uses ix_subscriptions_next_due)."""
        query = (
            select(subscriptions)
            .where(
                subscriptions.c.next_due_at <= now,
                subscriptions.c.platform.in_([p.value for p in platforms]),
                subscriptions.c.active == true(),
                subscriptions.c.paused == false(),
            )
            .order_by(subscriptions.c.next_due_at, subscriptions.c.id)
            .limit(limit)
        )
        async with self.engine.connect() as conn:
            return [_record(row) for row in await conn.execute(query)]

    async def claim(
        self,
        claims: Sequence[Claim],
        advances: Sequence[Advance],
        *,
        owner: str,
        lease_until: dt.datetime,
        now: dt.datetime,
    ) -> dict[int, int]:
        """Insert delivery rows (unique per subscription and local date) and advance next_due_at, atomically.

        Returns {subscription_id: delivery_id} for the rows this call won; rows another process holds are
        left alone. Rows are written in subscription order so concurrent claimers never deadlock.
        """
        won: dict[int, int] = {}
        ordered = sorted(claims, key=lambda c: c.subscription_id)
        async with self.engine.begin() as conn:
            for chunk in _chunks(ordered):
                stmt = (
                    self._insert(deliveries)
                    .values(
                        [
                            {
                                "subscription_id": c.subscription_id,
                                "local_date": c.local_date.isoformat(),
                                "due_at": c.due_at,
                                "state": DeliveryState.CLAIMED.value,
                                "attempts": 0,
                                "claimed_by": owner,
                                "lease_until": lease_until,
                                "claimed_at": now,
                            }
                            for c in chunk
                        ]
                    )
                    .on_conflict_do_nothing(index_elements=["subscription_id", "local_date"])
                    .returning(deliveries.c.id, deliveries.c.subscription_id)
                )
                for delivery_id, sub_id in (await conn.execute(stmt)).all():
                    won[int(sub_id)] = int(delivery_id)
            if advances:
                stmt_adv = (
                    update(subscriptions)
                    .where(
                        subscriptions.c.id == bindparam("b_id"),
                        subscriptions.c.next_due_at == bindparam("b_expected"),
                    )
                    .values(next_due_at=bindparam("b_next"))
                )
                params = [
                    {"b_id": a.subscription_id, "b_expected": a.expected, "b_next": a.next_due_at}
                    for a in sorted(advances, key=lambda a: a.subscription_id)
                ]
                await conn.execute(stmt_adv, params)
        return won

    async def claimed_deliveries(self, ids: Sequence[int]) -> list[ClaimedDelivery]:
        """Load claimed rows with their subscriptions (in id order)."""
        out: list[ClaimedDelivery] = []
        async with self.engine.connect() as conn:
            for chunk in _chunks(sorted(ids)):
                rows = await conn.execute(
                    select(
                        subscriptions,
                        deliveries.c.id.label("d_id"),
                        deliveries.c.local_date.label("d_local_date"),
                        deliveries.c.due_at.label("d_due_at"),
                        deliveries.c.attempts.label("d_attempts"),
                    )
                    .join(subscriptions, subscriptions.c.id == deliveries.c.subscription_id)
                    .where(deliveries.c.id.in_(list(chunk)))
                    .order_by(deliveries.c.id)
                )
                out.extend(_claimed(row) for row in rows)
        return out

    async def reclaim_expired(
        self,
        now: dt.datetime,
        *,
        owner: str,
        lease_until: dt.datetime,
        platforms: Sequence[Platform],
        limit: int,
    ) -> list[ClaimedDelivery]:
        """Take over claimed rows whose lease ran out (their process died). Only one process wins each row."""
        async with self.engine.begin() as conn:
            candidates = [
                int(r[0])
                for r in await conn.execute(
                    select(deliveries.c.id)
                    .join(subscriptions, subscriptions.c.id == deliveries.c.subscription_id)
                    .where(
                        deliveries.c.state == DeliveryState.CLAIMED.value,
                        deliveries.c.lease_until < now,
                        subscriptions.c.platform.in_([p.value for p in platforms]),
                    )
                    .order_by(deliveries.c.id)
                    .limit(limit)
                )
            ]
            if not candidates:
                return []
            result = await conn.execute(
                update(deliveries)
                .where(
                    deliveries.c.id.in_(candidates),
                    deliveries.c.state == DeliveryState.CLAIMED.value,
                    deliveries.c.lease_until < now,
                )
                .values(claimed_by=owner, lease_until=lease_until)
                .returning(deliveries.c.id)
            )
            won = [int(r[0]) for r in result]
        return await self.claimed_deliveries(won)

    async def renew_leases(self, owner: str, ids: Sequence[int], lease_until: dt.datetime) -> int:
        """Extend the lease of claims this process is still working on."""
        renewed = 0
        async with self.engine.begin() as conn:
            for chunk in _chunks(sorted(ids)):
                result = await conn.execute(
                    update(deliveries)
                    .where(
                        deliveries.c.id.in_(list(chunk)),
                        deliveries.c.state == DeliveryState.CLAIMED.value,
                        deliveries.c.claimed_by == owner,
                    )
                    .values(lease_until=lease_until)
                )
                renewed += int(result.rowcount)
        return renewed

    async def release_leases(self, owner: str, ids: Sequence[int], now: dt.datetime) -> int:
        """Let any process take these claims at once (used on a clean shutdown for unsent posts)."""
        if not ids:
            return 0
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(deliveries)
                .where(
                    deliveries.c.id.in_(list(ids)),
                    deliveries.c.state == DeliveryState.CLAIMED.value,
                    deliveries.c.claimed_by == owner,
                )
                .values(lease_until=now - dt.timedelta(seconds=1))
            )
        return int(result.rowcount)

    async def record_outcomes(self, outcomes: Sequence[Outcome]) -> None:
        """Record results in one transaction. A sent row stays sent whatever arrives later."""
        if not outcomes:
            return
        stmt = (
            update(deliveries)
            .where(
                deliveries.c.id == bindparam("b_id"),
                deliveries.c.state != DeliveryState.SENT.value,
            )
            .values(
                state=bindparam("b_state"),
                attempts=bindparam("b_attempts"),
                finished_at=bindparam("b_at"),
                detail=bindparam("b_detail"),
                lease_until=None,
            )
        )
        params = [
            {
                "b_id": o.delivery_id,
                "b_state": o.state.value,
                "b_attempts": o.attempts,
                "b_at": o.finished_at,
                "b_detail": (o.detail or None) and o.detail[:1000],
            }
            for o in outcomes
        ]
        async with self.engine.begin() as conn:
            await conn.execute(stmt, params)

    async def delivery_states(self) -> dict[str, int]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(deliveries.c.state, func.count()).group_by(deliveries.c.state))
            return {str(state): int(n) for state, n in rows}

    async def deliveries_of(self, subscription_id: int) -> list[dict[str, Any]]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(deliveries)
                .where(deliveries.c.subscription_id == subscription_id)
                .order_by(deliveries.c.local_date)
            )
            return [dict(row._mapping) for row in rows]

    async def prune_deliveries(self, before: dt.date) -> int:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                delete(deliveries).where(
                    deliveries.c.local_date < before.isoformat(),
                    deliveries.c.state != DeliveryState.CLAIMED.value,
                )
            )
        return int(result.rowcount)

    # --- feedback and gaps ---

    async def add_feedback(self, platform: Platform, entry_id: str, helpful: bool, at: dt.datetime) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                feedback.insert().values(platform=platform.value, entry_id=entry_id, helpful=helpful, created_at=at)
            )

    async def feedback_counts(self) -> list[FeedbackCount]:
        """👍/👎 per entry, most voted first."""
        helpful = func.sum(case((feedback.c.helpful == true(), 1), else_=0))
        total = func.count()
        query = (
            select(feedback.c.entry_id, helpful, total)
            .group_by(feedback.c.entry_id)
            .order_by(total.desc(), feedback.c.entry_id)
        )
        async with self.engine.connect() as conn:
            return [
                FeedbackCount(entry_id=e, helpful=int(h or 0), unhelpful=int(t) - int(h or 0))
                for e, h, t in await conn.execute(query)
            ]

    async def add_gap(
        self,
        *,
        text: str,
        norm: str,
        lang: str,
        confidence: float,
        at: dt.datetime,
        keep_after: dt.datetime,
        max_rows: int,
    ) -> None:
        """Store one unanswered question and enforce retention (age, then row count)."""
        async with self.engine.begin() as conn:
            await conn.execute(
                gaps.insert().values(text=text, norm=norm, lang=lang, confidence=confidence, created_at=at)
            )
            await conn.execute(delete(gaps).where(gaps.c.created_at < keep_after))
            cutoff = (
                await conn.execute(select(gaps.c.id).order_by(gaps.c.id.desc()).offset(max_rows).limit(1))
            ).scalar()
            if cutoff is not None:
                await conn.execute(delete(gaps).where(gaps.c.id <= cutoff))

    async def top_gaps(self, limit: int, *, since: dt.datetime | None = None) -> list[Gap]:
        """The most asked unanswered questions, grouped by normalised text, each in its latest wording."""
        count = func.count().label("n")
        groups = select(
            func.max(gaps.c.id).label("last_id"),
            count,
            func.min(gaps.c.confidence).label("conf"),
            func.max(gaps.c.created_at).label("last"),
        ).group_by(gaps.c.norm)
        if since is not None:
            groups = groups.where(gaps.c.created_at >= since)
        grouped = groups.subquery()
        query = (
            select(gaps.c.text, gaps.c.lang, grouped.c.n, grouped.c.conf, grouped.c.last)
            .join(grouped, gaps.c.id == grouped.c.last_id)
            .order_by(grouped.c.n.desc(), grouped.c.last.desc())
            .limit(limit)
        )
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        out = []
        for text_, lang, n, conf, last in rows:
            last_seen = last if isinstance(last, dt.datetime) else dt.datetime.fromisoformat(str(last))
            out.append(
                Gap(
                    text=text_,
                    lang=lang,
                    count=int(n),
                    min_confidence=float(conf),
                    last_seen=last_seen.replace(tzinfo=dt.UTC) if last_seen.tzinfo is None else last_seen,
                )
            )
        return out


def _claimed(row: Row[Any]) -> ClaimedDelivery:
    m = row._mapping
    sub = _record(row)
    return ClaimedDelivery(
        id=int(m["d_id"]),
        subscription=sub,
        local_date=dt.date.fromisoformat(m["d_local_date"]),
        due_at=m["d_due_at"],
        attempts=int(m["d_attempts"]),
    )


__all__ = ["DuplicateSubscriptionError", "Store", "open_store"]
