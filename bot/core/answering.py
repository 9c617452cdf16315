"""Answering questions from the knowledge base: pure, synchronous, and honest when unsure."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from rapidfuzz import fuzz, process

from bot.core import messages as m
from bot.core.countdown import countdown_line, days_until, more, render_countdown, shown, source_refs
from bot.core.dates import format_date
from bot.core.decision import Thresholds, Verdict, decide
from bot.core.help import GREETING, help_text
from bot.core.language import detect_language
from bot.core.models import Lang, Reply, ReplyKind, Suggestion
from bot.core.polarity import yes_no_prefix
from bot.core.ranking import Candidate, Ranker
from bot.core.requests import request_group
from bot.core.semantic import SemanticIndex
from bot.core.text import clean_question
from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.schema import Entry
from bot.types import UTC

MAX_SUGGESTIONS = 3
TOPIC_SIMILARITY = 0.3
"""/sources <topic>: how similar the closest entry must be to a few words that are not a question."""
AUTOCOMPLETE_CUTOFF = 80.0
"""How closely typed text must match part of a question to be offered while typing."""


class Answerer:
    """Answers questions, countdowns, the timeline, sources and help from one `KnowledgeBase`."""

    def __init__(
        self, kb: KnowledgeBase, semantic: SemanticIndex | None = None, thresholds: Thresholds | None = None
    ) -> None:
        self.kb = kb
        self.ranker = Ranker(kb, semantic)
        self.index = self.ranker.index
        self.thresholds = thresholds or Thresholds()
        self._scope = {g.id: g for g in kb.out_of_scope}
        self._questions_en = [(e.id, q) for e in kb.entries.values() for q in e.questions.en]
        self._questions_zh = [(e.id, q) for e in kb.entries.values() for q in e.questions.zh]

    # --- questions -------------------------------------------------------------------------------

    def answer(self, question: str, now: dt.datetime, lang: Lang | None = None, tz: dt.tzinfo = UTC) -> Reply:
        """Answer `question` as of `now`; in `lang`, or the question's own language when not given."""
        text = clean_question(question)
        lang = lang or detect_language(text)
        lowered = text.lower().strip(" !?.。！？")
        if not text or GREETING.fullmatch(lowered):
            return self.help(lang)
        request = request_group(text)
        if request in self._scope:  # "write me a poem about RedNote": not a question about it
            return self._decline(lang, self._scope[request].reply.get(lang))
        ranking = self.ranker.rank(text, now.date())
        if not ranking.on_topic and not ranking.exact and GREETING.match(lowered):
            return self.help(lang)  # small talk: "hey, how's your day going"
        decision = decide(ranking, self.thresholds)
        if decision.verdict is Verdict.ANSWER and decision.candidate is not None:
            entry = decision.candidate.entry
            return self._entry_reply(entry, now, lang, tz, decision.confidence, question=text)
        if decision.verdict is Verdict.SUGGEST:
            first = [decision.candidate] if decision.candidate is not None else []
            choices = [*first, *(c for c in ranking.candidates if c not in first)]
            return self._did_you_mean(lang, choices, decision.confidence)
        if decision.verdict is Verdict.OUT_OF_SCOPE and decision.scope_id in self._scope:
            return self._decline(lang, self._scope[decision.scope_id].reply.get(lang))
        return self._unknown(lang)

    def entry_reply(self, entry_id: str, now: dt.datetime, lang: Lang, tz: dt.tzinfo = UTC) -> Reply:
        """The answer of one entry (for suggestion buttons). Raises KeyError for an unknown id."""
        return self._entry_reply(self.kb.entries[entry_id], now, lang, tz, 1.0)

    def autocomplete(self, text: str, lang: Lang | None = None, limit: int = 25) -> list[Suggestion]:
        """Up to `limit` questions matching what the user has typed so far (for slash-command autocomplete)."""
        cleaned = clean_question(text)
        lang = lang or detect_language(cleaned)
        if not cleaned:
            return [Suggestion(e.id, self._first_question(e, lang)) for e in self.index.entries[:limit]]
        found: dict[str, Suggestion] = {}
        typed = cleaned.lower()
        pool = self._questions_zh if lang == "zh" else self._questions_en
        for (entry_id, question), _score, _i in process.extract(
            typed,
            pool,
            processor=lambda item: item[1].lower() if isinstance(item, tuple) else item,
            scorer=fuzz.partial_ratio,
            score_cutoff=AUTOCOMPLETE_CUTOFF,
            limit=limit * 3,
        ):
            found.setdefault(entry_id, Suggestion(entry_id, question))
        for candidate in self.ranker.rank(cleaned).candidates[:limit]:
            found.setdefault(candidate.entry.id, Suggestion(candidate.entry.id, self._question_for(candidate, lang)))
        return list(found.values())[:limit]

    # --- fixed replies ---------------------------------------------------------------------------

    def countdown(self, now: dt.datetime, lang: Lang, tz: dt.tzinfo = UTC, deadline_id: str | None = None) -> Reply:
        return render_countdown(self.kb, deadline_id, now, tz, lang)

    def timeline(self, now: dt.datetime, lang: Lang) -> Reply:
        """Every deadline in date order, saying which have passed and what became of them."""
        lines = []
        ids: list[str] = []
        for deadline in sorted(self.kb.deadlines.values(), key=lambda d: d.at):
            title = deadline.title.get(lang)
            when = format_date(deadline.at.date(), lang)
            if days_until(deadline, now, UTC) > 0:
                lines.append(f"{when}: {title} ({m.UPCOMING.get(lang)})")
            else:
                status = deadline.status.get(lang)
                lines.append(f"{when}: {title}. {status}")
            ids.extend(s for s in deadline.sources if s not in ids)
        refs = source_refs(self.kb, ids)
        return Reply(
            kind=ReplyKind.TIMELINE,
            text="\n\n".join(lines),
            lang=lang,
            title=m.TIMELINE_TITLE.get(lang),
            confidence=1.0,
            sources=shown(refs),
            more_sources=more(refs),
            checked=min((d.checked for d in self.kb.deadlines.values() if d.checked), default=None),
        )

    def sources(self, lang: Lang, topic: str | None = None, limit: int = 10) -> Reply:
        """Every source of the entry a topic names (`/sources deal`), or the sources the knowledge cites most."""
        entry = self._topic_entry(topic) if topic and topic.strip() else None
        if entry is not None:
            refs = source_refs(self.kb, entry.sources)
            intro = m.SOURCES_OF_ENTRY.get(lang, title=entry.title.get(lang))
        else:
            cited: Counter[str] = Counter(s for e in self.kb.entries.values() for s in e.sources)
            refs = source_refs(self.kb, [sid for sid, _ in cited.most_common(limit)])
            intro = m.SOURCES_MOST_CITED.get(lang, count=len(self.kb.sources))
            if topic and topic.strip():
                intro = m.NO_SUCH_TOPIC.get(lang, topic=m.echo(topic)) + intro
        lines = [intro, *(f"• {r.label}: {r.title}" for r in refs)]
        return Reply(
            kind=ReplyKind.SOURCES,
            text="\n".join(lines),
            lang=lang,
            title=m.SOURCES_TITLE.get(lang),
            confidence=1.0,
            sources=tuple(refs),
        )

    def _topic_entry(self, topic: str) -> Entry | None:
        """The entry a few words name (an entry id, or what /sources was given), if one is close enough."""
        if topic in self.kb.entries:
            return self.kb.entries[topic]
        ranking = self.ranker.rank(clean_question(topic))
        decision = decide(ranking, self.thresholds)
        if decision.verdict in (Verdict.ANSWER, Verdict.SUGGEST) and decision.candidate is not None:
            return decision.candidate.entry
        # A topic is a few words ("deal", "taiwan"), not a question: the closest entry will do when both
        # engines see something of it, unless it names something the bot declines.
        top = ranking.candidates[0] if ranking.candidates else None
        close = top is not None and top.lexical > 0 and (not ranking.semantic or top.semantic >= TOPIC_SIMILARITY)
        if top is not None and close and ranking.qualifier is None:
            return top.entry
        return None

    def help(self, lang: Lang) -> Reply:
        return Reply(
            kind=ReplyKind.HELP,
            text=help_text(lang),
            lang=lang,
            title="banbot",
            suggestions=tuple(Suggestion(e.id, self._first_question(e, lang)) for e in self._starter_entries()),
        )

    # --- helpers ---------------------------------------------------------------------------------

    def _entry_reply(
        self,
        entry: Entry,
        now: dt.datetime,
        lang: Lang,
        tz: dt.tzinfo,
        confidence: float,
        *,
        question: str | None = None,
    ) -> Reply:
        body = entry.answer.get(lang)
        paragraphs = []
        countdown = None
        if entry.countdown:
            countdown = countdown_line(self.kb.deadlines[entry.countdown], now, tz, lang)
            paragraphs.append(countdown)
        paragraphs.append(body)
        short = None
        if entry.short is not None:
            prefix = None
            if question is not None:
                prefix = yes_no_prefix(question, entry.questions.get(lang)[0], entry.polarity, lang)
            # Chinese sentences follow one another without a space
            short = ("" if lang == "zh" else " ").join(p for p in (countdown, prefix, entry.short.get(lang)) if p)
        related = [self.kb.entries[r] for r in entry.related[:MAX_SUGGESTIONS]]
        refs = source_refs(self.kb, entry.sources)
        return Reply(
            kind=ReplyKind.ANSWER,
            text="\n\n".join(paragraphs),
            lang=lang,
            title=entry.title.get(lang),
            entry_id=entry.id,
            confidence=confidence,
            sources=shown(refs),
            more_sources=more(refs),
            as_of=entry.as_of,
            suggestions=tuple(Suggestion(e.id, self._first_question(e, lang)) for e in related),
            short=short,
            checked=entry.checked,
        )

    def _did_you_mean(self, lang: Lang, candidates: list[Candidate], confidence: float) -> Reply:
        suggestions = tuple(Suggestion(c.entry.id, self._question_for(c, lang)) for c in candidates[:MAX_SUGGESTIONS])
        text = "\n".join([m.DID_YOU_MEAN.get(lang), *(f"• {s.question}" for s in suggestions)])
        return Reply(kind=ReplyKind.SUGGEST, text=text, lang=lang, confidence=confidence, suggestions=suggestions)

    def _decline(self, lang: Lang, reply: str) -> Reply:
        """A question the bot recognises as outside its scope: the group's own reply, and where to start."""
        suggestions = self._starters(lang)
        return Reply(kind=ReplyKind.DECLINE, text=reply, lang=lang, suggestions=suggestions)

    def _unknown(self, lang: Lang) -> Reply:
        """Nothing is close: say so, and offer the curated starter questions, not whatever shares a word."""
        suggestions = self._starters(lang)
        text = "\n".join([m.UNKNOWN_QUESTION.get(lang), *(f"• {s.question}" for s in suggestions)])
        return Reply(kind=ReplyKind.UNKNOWN, text=text, lang=lang, suggestions=suggestions)

    def _starters(self, lang: Lang) -> tuple[Suggestion, ...]:
        return tuple(Suggestion(e.id, self._first_question(e, lang)) for e in self._starter_entries())

    def _starter_entries(self) -> list[Entry]:
        """The curated starters (out_of_scope.yaml), else the first entry of each of the first topics."""
        if self.kb.starters:
            return [self.kb.entries[s] for s in self.kb.starters][:MAX_SUGGESTIONS]
        seen: dict[str, Entry] = {}
        for entry in self.kb.entries.values():
            seen.setdefault(entry.topic, entry)
        return list(seen.values())[:MAX_SUGGESTIONS]

    def _question_for(self, candidate: Candidate, lang: Lang) -> str:
        """The entry's question closest to what was asked, if it is in `lang`; else its first in `lang`."""
        if candidate.question and detect_language(candidate.question) == lang:
            return candidate.question
        return self._first_question(candidate.entry, lang)

    @staticmethod
    def _first_question(entry: Entry, lang: Lang) -> str:
        return (entry.questions.get(lang))[0]
