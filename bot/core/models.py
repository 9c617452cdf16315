"""Platform-neutral values the core hands to adapters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from bot.types import LANGS, Lang

__all__ = ["LANGS", "Lang", "Outcome", "Reply", "ReplyKind", "SourceRef", "Suggestion"]

Outcome = Literal["answer", "clarify", "decline"]


class ReplyKind(StrEnum):
    """What sort of reply the core produced; adapters may style each differently."""

    ANSWER = "answer"  # a confident answer from one entry
    SUGGEST = "suggest"  # unsure: "did you mean" with suggestions
    UNKNOWN = "unknown"  # off-topic or unclear: honest "I don't know"
    DECLINE = "decline"  # recognisably outside what the bot covers (app how-tos, markets ...): a specific reply
    HELP = "help"  # greeting, "help", empty input
    COUNTDOWN = "countdown"
    TIMELINE = "timeline"
    SOURCES = "sources"


MAX_SHOWN_SOURCES = 3
"""An answer shows at most this many sources, best tier first; the rest are one tap away."""


@dataclass(frozen=True, slots=True)
class SourceRef:
    """A cited source, as shown to users."""

    id: str
    title: str
    publisher: str
    """The original publisher."""
    url: str
    date: dt.date | None = None
    tier: str = "other"
    via: str | None = None
    """For a copy of another outlet's story: the site it is on."""

    @property
    def label(self) -> str:
        """The publisher, naming the site once when the page is a copy: "Reuters (via zawya.com)"."""
        return f"{self.publisher} (via {self.via})" if self.via else self.publisher


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A follow-up topic: the entry it opens and the question shown for it."""

    entry_id: str
    question: str


@dataclass(frozen=True, slots=True)
class Reply:
    """A rendering-neutral reply. `text` is plain text; paragraphs are separated by blank lines."""

    kind: ReplyKind
    text: str
    """The full reply."""
    lang: Lang
    title: str | None = None
    entry_id: str | None = None
    confidence: float = 0.0
    sources: tuple[SourceRef, ...] = ()
    as_of: dt.date | None = None
    """The date the facts refer to."""
    suggestions: tuple[Suggestion, ...] = field(default_factory=tuple)
    short: str | None = None
    """The direct answer shown first in chats (the full `text` is behind a "More" button)."""
    more_sources: tuple[SourceRef, ...] = ()
    """Sources beyond the shown `sources` (the "More" view and /sources list them)."""
    checked: dt.date | None = None
    """When a curator last verified the facts."""

    @property
    def lead(self) -> str:
        """What a chat shows first: the short answer when there is one, else the whole text."""
        return self.short or self.text

    @property
    def has_more(self) -> bool:
        """True when the full text says more than the short answer."""
        return self.short is not None and self.short != self.text

    @property
    def outcome(self) -> Outcome:
        """What the member got: an answer, a question back with choices, or neither (the `ask` contract)."""
        if self.answered:
            return "answer"
        return "clarify" if self.kind is ReplyKind.SUGGEST and self.suggestions else "decline"

    @property
    def answered(self) -> bool:
        """True when the reply answers the question (the `banbot ask` contract's `answered`)."""
        return self.kind in (ReplyKind.ANSWER, ReplyKind.COUNTDOWN, ReplyKind.TIMELINE, ReplyKind.SOURCES)
