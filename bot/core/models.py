"""Platform-neutral values the core hands to adapters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from bot.types import LANGS, Lang

__all__ = ["LANGS", "Lang", "Reply", "ReplyKind", "SourceRef", "Suggestion"]


class ReplyKind(StrEnum):
    """What sort of reply the core produced; adapters may style each differently."""

    ANSWER = "answer"  # a confident answer from one entry
    SUGGEST = "suggest"  # unsure: "did you mean" with suggestions
    UNKNOWN = "unknown"  # off-topic or unclear: honest "I don't know"
    HELP = "help"  # greeting, "help", empty input
    COUNTDOWN = "countdown"
    TIMELINE = "timeline"
    SOURCES = "sources"


@dataclass(frozen=True, slots=True)
class SourceRef:
    """A cited source, as shown to users."""

    id: str
    title: str
    publisher: str
    url: str
    date: dt.date | None = None


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
    lang: Lang
    title: str | None = None
    entry_id: str | None = None
    confidence: float = 0.0
    sources: tuple[SourceRef, ...] = ()
    as_of: dt.date | None = None
    suggestions: tuple[Suggestion, ...] = field(default_factory=tuple)

    @property
    def answered(self) -> bool:
        """True when the reply answers the question (the `banbot ask` contract's `answered`)."""
        return self.kind in (ReplyKind.ANSWER, ReplyKind.COUNTDOWN, ReplyKind.TIMELINE, ReplyKind.SOURCES)
