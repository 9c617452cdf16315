"""Plain-text rendering of a Reply, for the console chat and `banbot ask`."""

from __future__ import annotations

from bot.core.dates import format_date
from bot.core.messages import msg
from bot.core.models import Reply


def dates_line(reply: Reply) -> str:
    """ "As of May 15, 2026 · checked November 26, 2026": the date the facts refer to and when a curator last
    verified them (never today's date stamped over old knowledge)."""
    parts = []
    if reply.as_of:
        parts.append(msg("as_of_label", reply.lang, date=format_date(reply.as_of, reply.lang)))
    if reply.checked:
        parts.append(msg("checked_label", reply.lang, date=format_date(reply.checked, reply.lang)))
    return " · ".join(parts)


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
    if reply.answered and (reply.as_of or reply.checked):
        parts.append(dates_line(reply))
    return "\n\n".join(parts)
