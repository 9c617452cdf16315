"""Subscription posts, platform-neutral: a countdown post and an announcement post.

Every post has the same shape: a title in sentence case, one line of count, the short current status with
the date a curator checked it (or, for an announcement, what happened and when), at most three sources,
and the rest one tap away. `Reply.short` is what a chat shows first; `Reply.text` is the whole post, shown
behind a "More" button (`Reply.has_more`), or as it is where there are no buttons. The check date is in the
text itself, so a post's `Reply.checked` stays None and no footer repeats it.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from bot.core.countdown import (
    countdown_line,
    days_until,
    heading,
    more,
    next_line,
    short_status,
    shown,
    source_refs,
)
from bot.core.dates import format_date
from bot.core.models import Lang, Reply, ReplyKind
from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.schema import Deadline

_YEAR = 365


def count_line(deadline: Deadline, at: datetime, tz: tzinfo, lang: Lang) -> str:
    """The countdown sentence, naming whole years on an anniversary ('730 days since …: 2 years.')."""
    line = countdown_line(deadline, at, tz, lang)
    since = -days_until(deadline, at, tz)
    if since <= 0 or since % _YEAR:
        return line
    years = since // _YEAR
    if lang == "zh":
        return f"{line[:-1]}，整整 {years} 年。"
    return f"{line[:-1]}: {years} year{'s' if years > 1 else ''}."


def _status_lead(deadline: Deadline, lang: Lang) -> str:
    """'Status (checked November 26, 2026): ' / '现状（核实于2026年11月26日）：'."""
    if deadline.checked is None:
        return "现状：" if lang == "zh" else "Status: "
    when = format_date(deadline.checked, lang)
    return f"现状（核实于{when}）：" if lang == "zh" else f"Status (checked {when}): "


def countdown_post(kb: KnowledgeBase, deadline_id: str, at: datetime, tz: tzinfo, lang: Lang) -> Reply:
    """The post of a countdown subscription for the day of `at` in `tz`. Once the day has come, the short
    status leads and the full status, with the next upcoming deadline, is behind "More"."""
    deadline = kb.deadlines[deadline_id]
    count = count_line(deadline, at, tz, lang)
    upcoming = next_line(kb, at, tz, lang, shown_id=deadline.id)
    short: str | None = None
    if days_until(deadline, at, tz) > 0:
        text = "\n\n".join(p for p in (count, upcoming) if p)
    else:
        lead = _status_lead(deadline, lang)
        short = f"{count}\n\n{lead}{short_status(deadline, lang)}"
        text = "\n\n".join(p for p in (count, lead + deadline.status.get(lang), upcoming) if p)
    refs = source_refs(kb, deadline.sources)
    return Reply(
        kind=ReplyKind.COUNTDOWN,
        text=text,
        short=short,
        lang=lang,
        title=heading(deadline, lang),
        confidence=1.0,
        sources=shown(refs),
        more_sources=more(refs),
    )


def announcement_post(
    kb: KnowledgeBase, announcement_id: str, *, deadline_id: str, at: datetime, tz: tzinfo, lang: Lang
) -> Reply:
    """The post of an announcement for a subscription to `deadline_id`: the announcement's heading, its date
    and text, then the count to the deadline it concerns (the subscription's own when it names none). It is
    that day's only post for the subscription."""
    ann = kb.announcements[announcement_id]
    deadline = kb.deadlines.get(ann.deadline or deadline_id) or kb.deadlines[kb.primary_deadline]
    when = format_date(ann.date, lang)
    news = f"{when}：{ann.text.zh}" if lang == "zh" else f"{when}: {ann.text.en}"
    count = count_line(deadline, at, tz, lang)
    short = f"{news}\n\n{count}"
    details = ann.details.get(lang) if ann.details else None
    upcoming = next_line(kb, at, tz, lang, shown_id=deadline.id)
    text = "\n\n".join(p for p in (news, details, count, upcoming) if p)
    refs = source_refs(kb, ann.sources)
    return Reply(
        kind=ReplyKind.COUNTDOWN,
        text=text,
        short=short if text != short else None,
        lang=lang,
        title=ann.heading.get(lang),
        confidence=1.0,
        sources=shown(refs),
        more_sources=more(refs),
    )


def post_ref(deadline_id: str, announcement_id: str | None) -> str:
    """A short reference to a post, for a "More" button to find it again: 'a:<announcement>' or 'd:<deadline>'."""
    return f"a:{announcement_id}" if announcement_id else f"d:{deadline_id}"


def post_more(kb: KnowledgeBase, ref: str, now: datetime, tz: tzinfo, lang: Lang) -> Reply | None:
    """The whole post a `post_ref` names, as of `now` (what a "More" button shows); None when the knowledge
    no longer has it or the reference is malformed."""
    kind, _, ident = ref.partition(":")
    if kind == "a" and ident in kb.announcements:
        ann = kb.announcements[ident]
        return announcement_post(kb, ident, deadline_id=ann.deadline or kb.primary_deadline, at=now, tz=tz, lang=lang)
    if kind == "d" and ident in kb.deadlines:
        return countdown_post(kb, ident, now, tz, lang)
    return None
