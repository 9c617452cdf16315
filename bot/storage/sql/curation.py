"""Curators' data in SQL: 👍/👎 per entry and the log of unanswered questions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import case, delete, func, select, true

from bot.storage.records import FeedbackCount, Gap
from bot.storage.sql.rows import SqlBase
from bot.storage.sql.tables import feedback, gaps
from bot.types import UTC, Platform


class SqlCuration(SqlBase):
    """bot.storage.base.CurationStore over SQLAlchemy."""

    async def add_feedback(self, platform: Platform, entry_id: str, voter: str, helpful: bool, at: dt.datetime) -> None:
        stmt = self.insert(feedback).values(
            platform=platform.value, entry_id=entry_id, voter=voter, helpful=helpful, created_at=at
        )
        async with self.engine.begin() as conn:
            await conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["platform", "entry_id", "voter"], set_={"helpful": helpful, "created_at": at}
                )
            )

    async def prune_feedback(self, before: dt.datetime) -> int:
        async with self.engine.begin() as conn:
            result = await conn.execute(delete(feedback).where(feedback.c.created_at < before))
        return int(result.rowcount)

    async def feedback_counts(self) -> list[FeedbackCount]:
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
                    last_seen=last_seen.replace(tzinfo=UTC) if last_seen.tzinfo is None else last_seen,
                )
            )
        return out
