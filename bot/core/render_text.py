"""Plain-text rendering of a Reply, for the console chat and `banbot ask`."""

from __future__ import annotations

from bot.core.dates import format_date
from bot.core.messages import msg
from bot.core.models import Reply


def answer_text(reply: Reply) -> str:
    """The short answer, then the full text (what `banbot ask` and the console show)."""
    if reply.has_more:
        return f"{reply.short}\n\n{reply.text}"
    return reply.text


def render_plain(reply: Reply) -> str:
    """The reply's text, then its sources and "as of" line."""
    parts = [answer_text(reply)]
    if reply.sources:
        lines = [f"{msg('sources_label', reply.lang)}:"]
        lines += [f"- {s.label}: {s.title} <{s.url}>" for s in (*reply.sources, *reply.more_sources)]
        parts.append("\n".join(lines))
    if reply.as_of and reply.answered:
        parts.append(msg("as_of_label", reply.lang, date=format_date(reply.as_of, reply.lang)))
    return "\n\n".join(parts)
