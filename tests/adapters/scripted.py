"""A scripted answerer for adapter tests: fixed replies for some questions, the real answerer for the rest.

Adapter tests check what a surface does with a kind of reply, not when the engine gives it: a scripted reply
keeps them from moving whenever the engine's thresholds are tuned.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.core import messages as m
from bot.core.models import Lang, Reply, ReplyKind, Suggestion
from bot.engine.holder import KnowledgeHolder


class ScriptedAnswerer:
    def __init__(self, real: Any, replies: dict[str, Reply]) -> None:
        self._real = real
        self.replies = replies

    def answer(self, question: str, now: dt.datetime, lang: Lang | None = None, tz: dt.tzinfo = dt.UTC) -> Reply:
        for key, reply in self.replies.items():
            if key in question:
                return reply
        reply = self._real.answer(question, now, lang=lang, tz=tz)
        assert isinstance(reply, Reply)
        return reply

    def entry_reply(self, entry_id: str, now: dt.datetime, lang: Lang, tz: dt.tzinfo = dt.UTC) -> Reply:
        for reply in self.replies.values():
            if reply.entry_id == entry_id:
                return reply
        reply = self._real.entry_reply(entry_id, now, lang, tz)
        assert isinstance(reply, Reply)
        return reply

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class ScriptedKnowledge:
    def __init__(self, real: KnowledgeHolder, replies: dict[str, Reply]) -> None:
        self._real = real
        self.answerer = ScriptedAnswerer(real.answerer, replies)

    @property
    def kb(self) -> Any:
        return self._real.kb


def clarify_reply(lang: Lang, *choices: tuple[str, str], confidence: float = 0.2) -> Reply:
    """A question asked back ("did you mean"), shaped as the engine shapes one: the question, a bullet line per
    choice, and the choices as (entry id, question) suggestions."""
    suggestions = tuple(Suggestion(entry_id, question) for entry_id, question in choices)
    text = "\n".join([m.DID_YOU_MEAN.get(lang), *(f"• {s.question}" for s in suggestions)])
    reply = Reply(kind=ReplyKind.SUGGEST, text=text, lang=lang, confidence=confidence, suggestions=suggestions)
    assert reply.outcome == "clarify"
    return reply
