"""Plain-text rendering of a Reply, for the console chat and `banbot ask`, and the footer every surface shows."""

from __future__ import annotations

from bot.core import messages as m
from bot.core.dates import format_date
from bot.core.models import Reply


def answer_text(reply: Reply) -> str:
    """The short answer, then the full text (what `banbot ask` and the console show)."""
    if reply.has_more:
        return f"{reply.short}\n\n{reply.text}"
    return reply.text


def footer(reply: Reply) -> str | None:
    """ "As of <the date the facts refer to> · checked <when a curator last verified them>", as far as known.

    Never today's date: a reply about old knowledge says how old it is.
    """
    parts = []
    if reply.as_of is not None and reply.answered:
        parts.append(m.AS_OF.get(reply.lang, date=format_date(reply.as_of, reply.lang)))
    if reply.checked is not None and reply.answered:
        parts.append(m.CHECKED.get(reply.lang, date=format_date(reply.checked, reply.lang)))
    return " · ".join(parts) or None


def render_plain(reply: Reply) -> str:
    """The reply's text, then all its sources and the footer."""
    parts = [answer_text(reply)]
    if reply.sources:
        lines = [f"{m.SOURCES_LABEL.get(reply.lang)}:"]
        lines += [f"- {s.label}: {s.title} <{s.url}>" for s in (*reply.sources, *reply.more_sources)]
        parts.append("\n".join(lines))
    note = footer(reply)
    if note:
        parts.append(note)
    return "\n\n".join(parts)
