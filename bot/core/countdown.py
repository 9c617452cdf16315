"""Countdowns: calendar days until or since a deadline, in the reader's time zone."""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from zoneinfo import ZoneInfo

from bot.core.dates import format_date
from bot.core.models import MAX_SHOWN_SOURCES, Lang, Reply, ReplyKind, SourceRef
from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.schema import TIER_RANK, Deadline

UTC = ZoneInfo("UTC")


def deadline_day(deadline: Deadline) -> date:
    """The deadline's calendar date, as stated in its own UTC offset (January 19 stays January 19)."""
    return deadline.at.date()


def days_until(deadline: Deadline, now: datetime, tz: tzinfo) -> int:
    """Calendar days from today (in `tz`) to the deadline's date: positive before, 0 on the day, negative after."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    today = now.astimezone(tz).date()
    return (deadline_day(deadline) - today).days


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def countdown_line(deadline: Deadline, now: datetime, tz: tzinfo, lang: Lang) -> str:
    """One sentence: 'N days until …', 'Today: …' or 'N days since …' (never a past deadline as upcoming)."""
    days = days_until(deadline, now, tz)
    title = deadline.title.zh if lang == "zh" else deadline.title.en
    when = format_date(deadline_day(deadline), lang)
    if lang == "zh":
        if days > 0:
            return f"距离{title}（{when}）还有 {days} 天。"
        if days == 0:
            return f"今天（{when}）就是{title}。"
        return f"{title}（{when}）已经过去 {-days} 天。"
    if days > 0:
        return f"{_plural(days, 'day')} until {title} ({when})."
    if days == 0:
        return f"Today ({when}) is {title}."
    return f"{_plural(-days, 'day')} since {title} ({when})."


def render_countdown(kb: KnowledgeBase, deadline_id: str | None, now: datetime, tz: tzinfo, lang: Lang) -> Reply:
    """The countdown reply for a deadline (the primary one by default), with its status once it has passed."""
    deadline = kb.deadlines[deadline_id or kb.primary_deadline]
    paragraphs = [countdown_line(deadline, now, tz, lang)]
    if days_until(deadline, now, tz) <= 0:
        status = deadline.status.zh if lang == "zh" else deadline.status.en
        paragraphs.append(("现状：" if lang == "zh" else "What happened: ") + status)
    return Reply(
        kind=ReplyKind.COUNTDOWN,
        text="\n\n".join(paragraphs),
        lang=lang,
        title=deadline.title.zh if lang == "zh" else deadline.title.en,
        confidence=1.0,
        sources=shown(refs := source_refs(kb, deadline.sources)),
        more_sources=more(refs),
        checked=deadline.checked,
    )


def source_refs(kb: KnowledgeBase, ids: list[str]) -> list[SourceRef]:
    """Resolve source ids to the references shown to users, each once, best tier first (primary documents,
    then major outlets' own pages, then other pages, then copies), in the cited order within a tier."""
    refs = []
    for sid in dict.fromkeys(ids):
        src = kb.sources[sid]
        refs.append(
            SourceRef(
                id=src.id,
                title=src.title,
                publisher=src.publisher,
                url=str(src.url),
                date=src.date,
                tier=src.tier,
                via=src.via,
            )
        )
    return sorted(refs, key=lambda r: TIER_RANK[r.tier])


def shown(refs: list[SourceRef]) -> tuple[SourceRef, ...]:
    """The sources a reply shows."""
    return tuple(refs[:MAX_SHOWN_SOURCES])


def more(refs: list[SourceRef]) -> tuple[SourceRef, ...]:
    """The sources one tap away."""
    return tuple(refs[MAX_SHOWN_SOURCES:])
