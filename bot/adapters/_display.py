"""What a chat shows of a reply, on every platform: an answer leads with its short answer and its best source,
and a "More" button reveals the full answer with all its sources; a subscription post leads with its count and
short status, and "More" reveals the rest. Plain functions over the core's Reply."""

from __future__ import annotations

from dataclasses import replace

from bot.core.models import Reply, ReplyKind
from bot.core.render_text import answer_text

LEAD_SOURCES = 1
"""Sources shown under the short answer; the rest are behind "More"."""


def offers_more(reply: Reply) -> bool:
    """True when an answer from an entry has more to show than its short answer and top source."""
    if reply.kind is not ReplyKind.ANSWER or not reply.entry_id:
        return False
    return reply.has_more or len(reply.sources) > LEAD_SOURCES or bool(reply.more_sources)


def chat_view(reply: Reply) -> Reply:
    """The reply as a chat shows it first: for an answer with more to show, the short answer and its top
    source; anything else as it is."""
    if not offers_more(reply):
        return reply
    return replace(reply, text=reply.lead, short=None, sources=reply.sources[:LEAD_SOURCES], more_sources=())


def full_view(reply: Reply) -> Reply:
    """The reply behind "More": the short answer, the full answer, and every source."""
    return replace(
        reply, text=answer_text(reply), short=None, sources=(*reply.sources, *reply.more_sources), more_sources=()
    )


def post_offers_more(reply: Reply) -> bool:
    """True when a subscription post has more than its lead to show: the full status, or sources beyond three."""
    return reply.has_more or bool(reply.more_sources)


def post_lead(reply: Reply) -> Reply:
    """A subscription post as a chat shows it: its heading, the count, the short status with its check date,
    and at most three sources."""
    return replace(reply, text=reply.lead, short=None, more_sources=())


def post_full(reply: Reply) -> Reply:
    """A post behind "More": its whole text (the count, the full status, what comes next) and every source."""
    return replace(reply, short=None, sources=(*reply.sources, *reply.more_sources), more_sources=())
