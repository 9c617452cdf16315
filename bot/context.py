"""What every adapter is handed: the knowledge, the subscription service, feedback, clock and settings."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Protocol

from bot.core.models import Lang, Reply, ReplyKind
from bot.curation import FeedbackRecorder
from bot.delivery.ports import Subscriptions
from bot.engine.holder import KnowledgeHolder
from bot.ops.metrics import Metrics
from bot.settings import Settings
from bot.types import UTC, Clock, Platform

log = logging.getLogger(__name__)

LOW_CONFIDENCE = 0.35
"""Answers below this confidence are kept for curators (`banbot kb gaps`) along with abstentions."""


class GapRecorder(Protocol):
    async def record_gap(self, text: str, lang: Lang, confidence: float, now: dt.datetime) -> None: ...


@dataclass
class BotContext:
    knowledge: KnowledgeHolder
    subscriptions: Subscriptions
    feedback: FeedbackRecorder
    clock: Clock
    settings: Settings
    metrics: Metrics = field(default_factory=Metrics)
    gaps: GapRecorder | None = None
    _background: set[asyncio.Task[None]] = field(default_factory=set, repr=False)

    def ask(self, question: str, *, platform: Platform, lang: Lang | None = None, tz: dt.tzinfo = UTC) -> Reply:
        """Answer a user's question now; count it, and keep it for curators when the bot was unsure."""
        now = self.clock()
        start = time.perf_counter()
        reply = self.knowledge.answerer.answer(question, now, lang=lang, tz=tz)
        self.metrics.observe_reply(platform.value, reply, time.perf_counter() - start)
        unsure = reply.kind in (ReplyKind.UNKNOWN, ReplyKind.SUGGEST, ReplyKind.DECLINE) or (
            reply.kind is ReplyKind.ANSWER and reply.confidence < LOW_CONFIDENCE
        )
        if unsure and question.strip() and self.gaps is not None:
            self._spawn(self._record_gap(question, reply, now))
        return reply

    async def _record_gap(self, question: str, reply: Reply, asked_at: dt.datetime) -> None:
        assert self.gaps is not None
        try:
            await self.gaps.record_gap(question, reply.lang, reply.confidence, asked_at)
        except Exception:  # curators' data must never break answering
            log.warning("could not record an unanswered question", exc_info=True)

    def _spawn(self, coro: Coroutine[object, object, None]) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # called outside the event loop (a script): nothing to record it with
            coro.close()
            return
        task = loop.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def drain(self) -> None:
        """Wait for background bookkeeping (gap records) to finish."""
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
