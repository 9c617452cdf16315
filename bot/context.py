"""What every adapter is handed: the knowledge, the subscription service, feedback, clock and settings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.core.models import Lang, Reply
from bot.delivery.ports import Clock, FeedbackStore, Platform, Subscriptions
from bot.knowledge.holder import KnowledgeHolder
from bot.settings import Settings

UTC = ZoneInfo("UTC")


@dataclass
class BotContext:
    knowledge: KnowledgeHolder
    subscriptions: Subscriptions
    feedback: FeedbackStore
    clock: Clock
    settings: Settings

    def ask(self, question: str, *, platform: Platform, lang: Lang | None = None, tz: dt.tzinfo = UTC) -> Reply:
        """Answer a user's question now. Adapters call this rather than the answerer directly."""
        return self.knowledge.answerer.answer(question, self.clock(), lang=lang, tz=tz)
