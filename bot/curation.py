"""What curators learn from users: 👍/👎 on answers (`banbot kb feedback`) and the questions the bot could
not answer well (`banbot kb gaps`). Neither keeps a user id: a vote carries a hash of its voter's id, enough
to count each user once per entry (pseudonymous, not anonymous), and both are pruned after a while."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from typing import Protocol

from bot.settings import Settings
from bot.storage.base import CurationStore
from bot.storage.records import FeedbackCount, Gap
from bot.types import Clock, Lang, Platform

GAP_TEXT_MAX = 500
_MENTION = re.compile(r"(?<!\w)@\w+")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_LONG_NUMBER = re.compile(r"\+?\d[\d\s-]{6,}\d")


class FeedbackRecorder(Protocol):
    """👍/👎 on answers, as the adapters record them: one vote per user and entry, the last one counting."""

    async def record_feedback(self, platform: Platform, entry_id: str, helpful: bool, *, voter: str) -> None:
        """`voter` is the platform's id of the user who tapped."""
        ...


def voter_key(platform: Platform, user_id: str) -> str:
    """What storage keeps of a voter: a one-way hash, stable across restarts."""
    return hashlib.sha256(f"banbot-vote:{platform.value}:{user_id}".encode()).hexdigest()[:32]


def scrub_gap_text(text: str) -> str:
    """Keep the question, drop what could identify someone (mentions, e-mails, phone-like numbers)."""
    text = _EMAIL.sub("<email>", text)
    text = _MENTION.sub("@user", text)
    text = _LONG_NUMBER.sub("<number>", text)
    return " ".join(text.split())[:GAP_TEXT_MAX]


def normalize_gap(text: str) -> str:
    """Group near-identical questions: NFKC, lower case, no punctuation, single spaces."""
    folded = unicodedata.normalize("NFKC", text).lower()
    kept = "".join(ch if ch.isalnum() or ch.isspace() else " " for ch in folded)
    return " ".join(kept.split())


class CurationService:
    """Records feedback (FeedbackRecorder) and unanswered questions (BotContext's GapRecorder)."""

    def __init__(self, store: CurationStore, clock: Clock, settings: Settings) -> None:
        self._store = store
        self._clock = clock
        self._settings = settings

    async def record_feedback(self, platform: Platform, entry_id: str, helpful: bool, *, voter: str) -> None:
        await self._store.add_feedback(platform, entry_id[:64], voter_key(platform, voter), helpful, self._clock())

    async def feedback_counts(self) -> list[FeedbackCount]:
        """👍/👎 per entry id, most voted first (for `banbot kb feedback`)."""
        return await self._store.feedback_counts()

    async def record_gap(self, text: str, lang: Lang, confidence: float, now: dt.datetime) -> None:
        """Log an unanswered or low-confidence question: its text only, scrubbed, kept for a bounded time."""
        clean = scrub_gap_text(text)
        if not clean:
            return
        await self._store.add_gap(
            text=clean,
            norm=normalize_gap(clean)[:GAP_TEXT_MAX],
            lang=lang,
            confidence=max(0.0, min(1.0, float(confidence))),
            at=now,
            keep_after=now - dt.timedelta(days=self._settings.gap_retention_days),
            max_rows=self._settings.gap_max_rows,
        )

    async def top_gaps(self, limit: int = 20) -> list[Gap]:
        """The most frequent unanswered questions (for `banbot kb gaps`)."""
        return await self._store.top_gaps(limit)
