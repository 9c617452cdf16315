"""The in-memory store's curation part: 👍/👎 votes and unanswered questions (see bot.storage.memory)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from bot.storage.records import FeedbackCount, Gap
from bot.types import UTC, Platform


def utc(moment: dt.datetime) -> dt.datetime:
    """Stored as the SQL store returns it: aware, in UTC (it refuses naive datetimes alike)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class _Vote:
    helpful: bool
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class _GapRow:
    id: int
    text: str
    norm: str
    lang: str
    confidence: float
    at: dt.datetime


class InMemoryCuration:
    """bot.storage.base.CurationStore in memory; also hands out the store's ids."""

    def __init__(self) -> None:
        self._votes: dict[tuple[Platform, str, str], _Vote] = {}
        self._gaps: dict[int, _GapRow] = {}
        self._next_id: Counter[str] = Counter()

    def _new_id(self, table: str) -> int:
        self._next_id[table] += 1
        return self._next_id[table]

    async def add_feedback(self, platform: Platform, entry_id: str, voter: str, helpful: bool, at: dt.datetime) -> None:
        self._votes[(platform, entry_id, voter)] = _Vote(helpful, utc(at))

    async def prune_feedback(self, before: dt.datetime) -> int:
        old = [key for key, vote in self._votes.items() if vote.at < before]
        for key in old:
            del self._votes[key]
        return len(old)

    async def feedback_counts(self) -> list[FeedbackCount]:
        helpful: Counter[str] = Counter()
        total: Counter[str] = Counter()
        for (_, entry_id, _), vote in self._votes.items():
            total[entry_id] += 1
            helpful[entry_id] += vote.helpful
        ordered = sorted(total, key=lambda e: (-total[e], e))
        return [FeedbackCount(entry_id=e, helpful=helpful[e], unhelpful=total[e] - helpful[e]) for e in ordered]

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
        gap_id = self._new_id("gaps")
        self._gaps[gap_id] = _GapRow(gap_id, text, norm, lang, confidence, utc(at))
        for old in [g.id for g in self._gaps.values() if g.at < keep_after]:
            del self._gaps[old]
        for extra in sorted(self._gaps, reverse=True)[max_rows:]:
            del self._gaps[extra]

    async def top_gaps(self, limit: int, *, since: dt.datetime | None = None) -> list[Gap]:
        groups: dict[str, list[_GapRow]] = {}
        for g in sorted(self._gaps.values(), key=lambda g: g.id):
            if since is None or g.at >= since:
                groups.setdefault(g.norm, []).append(g)
        out = [
            Gap(
                text=rows[-1].text,
                lang=rows[-1].lang,
                count=len(rows),
                min_confidence=min(r.confidence for r in rows),
                last_seen=max(r.at for r in rows),
            )
            for rows in groups.values()
        ]
        out.sort(key=lambda g: (-g.count, -g.last_seen.timestamp()))
        return out[:limit]
