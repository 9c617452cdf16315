"""Countdowns: calendar days until or since a deadline, in the reader's time zone; which days are milestones;
what comes next."""

from __future__ import annotations

import re
from datetime import date, datetime, tzinfo

from bot.core.dates import format_date
from bot.core.models import MAX_SHOWN_SOURCES, Lang, Reply, ReplyKind, SourceRef
from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.schema import TIER_RANK, Deadline


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
    title = deadline.title.get(lang)
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


MILESTONE_STEPS = (100, 365)
"""After (and before) the day: every multiple of 100 days (100, 200 … 500 …) and of 365 (365, 730 …)."""
FINAL_DAYS = (30, 7, 1)
"""Before the day, also these many days ahead."""


def is_milestone(days_since: int) -> bool:
    """Whether a day is a milestone, given the calendar days since the deadline's day in the chat's zone
    (negative before it): the day itself, every 100 days, every 365 days, and 30, 7 and 1 day(s) before."""
    if days_since == 0:
        return True
    distance = abs(days_since)
    if any(distance % step == 0 for step in MILESTONE_STEPS):
        return True
    return days_since < 0 and distance in FINAL_DAYS


def next_milestones(deadline: Deadline, after: date, count: int) -> list[date]:
    """The next `count` milestone days strictly after the date `after`."""
    out: list[date] = []
    day = deadline_day(deadline)
    since = (after - day).days + 1
    while len(out) < count:
        if is_milestone(since):
            out.append(date.fromordinal(day.toordinal() + since))
        since += 1
    return out


_LEADING_ARTICLE = re.compile(r"^the\s+", re.IGNORECASE)


def sentence_case(title: str) -> str:
    """A lower-case inline title as a heading: 'the end of Trump's first delay' -> "End of Trump's first delay"."""
    text = _LEADING_ARTICLE.sub("", title.strip(), count=1)
    return text[:1].upper() + text[1:]


def heading(deadline: Deadline, lang: Lang) -> str:
    """The deadline's heading for titles: the curated one, else its title in sentence case."""
    if deadline.heading is not None:
        return deadline.heading.get(lang)
    return sentence_case(deadline.title.get(lang))


_SENTENCE_END = re.compile(r"(?<=[a-z0-9)”\"])[.!?](?=\s+[A-Z“\"])|。")


def short_status(deadline: Deadline, lang: Lang) -> str:
    """The status in one or two sentences: the curated `short`, else the status's first sentence."""
    if deadline.short is not None:
        return deadline.short.get(lang)
    status = deadline.status.get(lang)
    end = _SENTENCE_END.search(status)
    return status[: end.end()] if end else status


def next_upcoming(kb: KnowledgeBase, now: datetime, tz: tzinfo) -> Deadline | None:
    """The soonest deadline whose day is still ahead (in `tz`), if any."""
    ahead = [d for d in kb.deadlines.values() if days_until(d, now, tz) > 0]
    return min(ahead, key=lambda d: (d.at, d.id), default=None)


def next_line(kb: KnowledgeBase, now: datetime, tz: tzinfo, lang: Lang, shown_id: str | None = None) -> str | None:
    """'Next: <title> on <date> (N days).' for the soonest upcoming deadline, unless it is `shown_id`."""
    upcoming = next_upcoming(kb, now, tz)
    if upcoming is None or upcoming.id == shown_id:
        return None
    days = days_until(upcoming, now, tz)
    when = format_date(deadline_day(upcoming), lang)
    if lang == "zh":
        return f"下一个日期：{upcoming.title.zh}（{when}），还有 {days} 天。"
    return f"Next: {upcoming.title.en} on {when} ({_plural(days, 'day')})."


def render_countdown(kb: KnowledgeBase, deadline_id: str | None, now: datetime, tz: tzinfo, lang: Lang) -> Reply:
    """The countdown reply for a deadline (the primary one by default), with its status once it has passed,
    and the next upcoming deadline when that is another one."""
    deadline = kb.deadlines[deadline_id or kb.primary_deadline]
    paragraphs = [countdown_line(deadline, now, tz, lang)]
    if days_until(deadline, now, tz) <= 0:
        status = deadline.status.get(lang)
        paragraphs.append(("现状：" if lang == "zh" else "What happened: ") + status)
    upcoming = next_line(kb, now, tz, lang, shown_id=deadline.id)
    if upcoming:
        paragraphs.append(upcoming)
    refs = source_refs(kb, deadline.sources)
    return Reply(
        kind=ReplyKind.COUNTDOWN,
        text="\n\n".join(paragraphs),
        lang=lang,
        title=heading(deadline, lang),
        confidence=1.0,
        sources=shown(refs),
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
