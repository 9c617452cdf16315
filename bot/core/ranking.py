"""Hybrid ranking: the lexical index and the sentence encoder, fused into one list of candidate entries.

The two see different things. The lexical index knows the knowledge's own words, names and numbers, and
corrects typos; the encoder knows that "why did people leave for RedNote" and "what made users switch apps"
mean the same, across English and Chinese. Each candidate keeps both scores so that the decision to
answer (bot.core.decision) can weigh them.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import re
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.core.index import Index
from bot.core.language import detect_language
from bot.core.models import Lang
from bot.core.named_dates import NamedDates, mentions, named_dates
from bot.core.ordinals import entry_ordinals, ordinals
from bot.core.qtype import mismatch, question_types
from bot.core.semantic import SemanticIndex
from bot.core.spelling import ChatSpelling
from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.schema import Entry
from bot.types import AnswerKind

LEXICAL_LIMIT = 8
SEMANTIC_LIMIT = 8
SCORE_SATURATION = 8.0
"""A lexical score at which the lexical confidence stops growing."""
KIND_MISMATCH_FACTOR = 0.5
"""A candidate that does not give the kind of answer asked for keeps this share of its scores."""
OTHER_SUBJECT_FACTOR = 0.6
"""A candidate about another subject than every one the question names (RedNote's owners, when the question
names only TikTok) keeps this share of its scores."""
BASIC_FACTOR = 1.05
"""A basic question's entry (`basic: true`) gains this much: newcomers ask it far more than its neighbours."""
DATE_MATCH_FACTOR = 1.2
DATE_MISS_FACTOR = 0.75
"""When a question names a date and some candidate mentions it, those that do gain, those that do not lose."""
ORDINAL_MATCH_FACTOR = 1.2
ORDINAL_MISS_FACTOR = 0.6
ORDINAL_NONE_FACTOR = 0.8
"""When a question names the first, second ... of a series (of extensions, orders) and some candidate is
about that one, candidates about it gain, those about another of the series lose much and those about no
place in it lose a little."""
EVENT_DATE_MISS_FACTOR = 0.5
"""What happened on a day: an entry that does not mention that day is hardly the answer."""
TYPO_RATIO = 75.0
"""Two words this alike (rapidfuzz ratio) are one word misspelled."""
NEAR_EXACT = 92.0
"""An alternate question this close (rapidfuzz ratio, 0-100) to the question wins outright."""
_NEAR_EXACT_SPREAD = NEAR_EXACT / (200.0 - NEAR_EXACT)
"""A ratio r (in %) needs the shorter string to be at least r / (200 - r) of the longer one's length."""

_PUNCT = re.compile(r"[\s\"'“”‘’`.,;:!?？！。，、；：()（）\[\]【】-]+")


def normalize(question: str) -> str:
    """The form in which two spellings of one question compare equal."""
    return _PUNCT.sub(" ", question.casefold()).strip()


@dataclass(frozen=True, slots=True)
class Weights:
    """How lexical and semantic evidence combine; fitted on our own question sets (eval/README.md)."""

    lexical: float = 0.3
    semantic: float = 0.7
    semantic_floor: float = 0.3
    """Cosine similarity below which the encoder's opinion counts as nothing."""


@dataclass(frozen=True, slots=True)
class Candidate:
    entry: Entry
    lexical: float
    """Lexical confidence, 0..1: coverage of the question times a saturating BM25 score."""
    coverage: float
    score: float
    semantic: float
    """Cosine similarity to the entry's closest question or title (0 without an encoder)."""
    fused: float
    question: str
    """The entry's question closest to what was asked."""
    names_anchor: bool
    lexical_rank: int = 99
    """Place in the lexical engine's own order (99: not found by it)."""
    kind_mismatch: bool = False
    """The question asks for a kind of answer (a date, a reason ...) the entry does not give."""
    date_match: bool = False
    """The entry mentions a day or month the question names."""


@dataclass(frozen=True, slots=True)
class Ranking:
    candidates: list[Candidate]
    exact: bool
    """The first candidate's alternate question matched (near) exactly."""
    on_topic: bool
    """The question names an anchor term (TikTok, RedNote, the ban ...)."""
    known_terms: int
    scope_id: str | None = None
    scope: float = 0.0
    """The closest out-of-scope group and its similarity (0 without an encoder)."""
    semantic: bool = False
    """Whether the encoder took part."""
    lang: Lang = "en"
    """The question's language."""
    asked: frozenset[AnswerKind] = frozenset()
    """The kinds of answer the question asks for."""
    qualifier: tuple[str, str] | None = None
    """(out-of-scope group, name) when the question names a place or app the first candidate never mentions."""


class Ranker:
    def __init__(self, kb: KnowledgeBase, semantic: SemanticIndex | None, weights: Weights = Weights()) -> None:
        self.index = Index(kb)
        self.spelling = ChatSpelling(kb.spellings, self.index.correct_word)
        self.semantic = semantic
        self.weights = weights
        self._entries = kb.entries
        self._answers = {entry.id: frozenset(entry.answers) for entry in kb.entries.values()}
        self._dates = {entry.id: named_dates(_dated_text(entry)) for entry in kb.entries.values()}
        self._ordinals = {
            entry.id: entry_ordinals([*entry.questions.en, *entry.questions.zh]) for entry in kb.entries.values()
        }
        self._exact: dict[str, str] = {}
        for entry in kb.entries.values():
            for question in (*entry.questions.en, *entry.questions.zh):
                self._exact.setdefault(normalize(self.spelling.rewrite(question)), entry.id)
        self._exact_keys = sorted(self._exact, key=len)
        self._exact_lengths = [len(k) for k in self._exact_keys]
        self._name_group = {
            name.lower(): group.id for group in kb.out_of_scope for name in (*group.names.en, *group.names.zh)
        }
        names = sorted(self._name_group, key=len, reverse=True)  # "south africa" before "africa"
        self._names = re.compile(rf"(?<![a-z])({'|'.join(map(re.escape, names))})(?![a-z])") if names else None
        self._subject_names = {
            name.lower()
            for group in kb.out_of_scope
            if group.names_are_subjects
            for name in (*group.names.en, *group.names.zh)
        }
        self._about = {
            entry.id: " ".join(
                [
                    *entry.questions.en,
                    *entry.questions.zh,
                    *entry.keywords.en,
                    *entry.keywords.zh,
                    entry.title.en,
                    entry.title.zh,
                ]
            ).lower()
            for entry in kb.entries.values()
        }
        self._mentions = {
            entry.id: " ".join([self._about[entry.id], entry.answer.en.lower(), entry.answer.zh.lower()])
            for entry in kb.entries.values()
        }

    def qualifier(self, question: str, entry_id: str, on_topic: bool = True) -> tuple[str, str] | None:
        """A place or app the question names and the entry never mentions, with its out-of-scope group; any
        such name when the question names none of the knowledge's subjects ("when is the next iPhone out")."""
        if self._names is None:
            return None
        for name in dict.fromkeys(self._names.findall(question.lower())):
            mentions = (self._about if name in self._subject_names else self._mentions)[entry_id]
            if not on_topic or not re.search(rf"(?<![a-z]){re.escape(name)}(?![a-z])", mentions):
                return self._name_group[name], name
        return None

    def _weigh_dates(self, candidates: list[Candidate], asked: NamedDates, event: bool) -> list[Candidate]:
        """Candidates whose answer mentions a date the question names gain over those that do not."""
        if not asked:
            return candidates
        hits = {c.entry.id for c in candidates if mentions(asked, self._dates[c.entry.id])}
        if not hits:
            return candidates
        miss = EVENT_DATE_MISS_FACTOR if event and asked.days else DATE_MISS_FACTOR
        out = []
        for c in candidates:
            hit = c.entry.id in hits
            factor = DATE_MATCH_FACTOR if hit else miss
            out.append(_scaled(c, factor, date_match=hit))
        return out

    def _weigh_ordinals(self, candidates: list[Candidate], asked: frozenset[int]) -> list[Candidate]:
        """Candidates about the place in a series the question names gain; those about another place lose."""
        if not asked or not any(asked & self._ordinals[c.entry.id] for c in candidates):
            return candidates
        out = []
        for c in candidates:
            places = self._ordinals[c.entry.id]
            factor = ORDINAL_MATCH_FACTOR if asked & places else ORDINAL_MISS_FACTOR if places else ORDINAL_NONE_FACTOR
            out.append(_scaled(c, factor))
        return out

    def exact_match(self, question: str) -> str | None:
        """The entry one of whose questions is the same as `question` but for case, spacing and typos."""
        key = normalize(question)
        if key in self._exact:
            return self._exact[key]
        if len(key) < 12:  # short strings are close to many things
            return None
        low = bisect.bisect_left(self._exact_lengths, len(key) * _NEAR_EXACT_SPREAD)
        high = bisect.bisect_right(self._exact_lengths, len(key) / _NEAR_EXACT_SPREAD)
        found = process.extractOne(key, self._exact_keys[low:high], scorer=fuzz.ratio, score_cutoff=NEAR_EXACT)
        if found is None or not _same_words(key, found[0]):
            return None
        return self._exact[found[0]]

    def rank(self, asked_text: str, today: dt.date | None = None) -> Ranking:
        """Candidates for a question; `today` reads relative dates in it ("last june")."""
        question = self.spelling.rewrite(asked_text)
        found = self.index.search(question, limit=LEXICAL_LIMIT, best_questions=self.semantic is None)
        dates = named_dates(question, today)
        # entries about a day the question names are candidates even when neither engine finds them
        dated_ids = [e for e, said in self._dates.items() if mentions(dates, said)] if dates.days else []
        lexical = {h.entry.id: h for h in found.hits}
        semantic: dict[str, tuple[float, str]] = {}
        scope_id, scope = None, 0.0
        if self.semantic is not None:
            match = self.semantic.match(self.spelling.correct(question))
            order = match.entry.argsort()[::-1][:SEMANTIC_LIMIT]
            position = self.semantic.position
            # the encoder's own top entries, then its opinion of the lexical engine's (never a missing 0)
            for i in [*map(int, order), *(position[e] for e in [*lexical, *dated_ids] if e in position)]:
                semantic.setdefault(
                    self.semantic.entry_ids[i], (float(match.entry[i]), self.semantic.closest_text(match, i))
                )
            if len(match.scope):
                best = int(match.scope.argmax())
                scope_id, scope = self.semantic.scope_ids[best], float(match.scope[best])
        w = self.weights
        lang = detect_language(question)
        asked = question_types(question, lang)
        candidates = []
        lexical_rank = {entry_id: n for n, entry_id in enumerate(lexical)}
        for entry_id in dict.fromkeys([*lexical, *semantic, *dated_ids]):
            hit = lexical.get(entry_id)
            lex = hit.coverage * min(1.0, hit.score / SCORE_SATURATION) if hit else 0.0
            sim, closest = semantic.get(entry_id, (0.0, ""))
            sem = max(0.0, (sim - w.semantic_floor) / (1.0 - w.semantic_floor))
            fused = w.lexical * lex + w.semantic * sem if self.semantic is not None else lex
            wrong_kind = mismatch(asked, self._answers[entry_id])
            if wrong_kind:
                lex, fused = lex * KIND_MISMATCH_FACTOR, fused * KIND_MISMATCH_FACTOR
            if self._entries[entry_id].basic:
                fused *= BASIC_FACTOR
            subjects = self.index.subjects[entry_id]
            if found.subjects and subjects and not subjects & found.subjects:
                lex, fused = lex * OTHER_SUBJECT_FACTOR, fused * OTHER_SUBJECT_FACTOR
            candidates.append(
                Candidate(
                    entry=self._entries[entry_id],
                    lexical=lex,
                    coverage=hit.coverage if hit else 0.0,
                    score=hit.score if hit else 0.0,
                    semantic=sim,
                    fused=fused,
                    question=closest or (hit.best_question if hit else ""),
                    names_anchor=hit.names_anchor if hit else True,
                    lexical_rank=lexical_rank.get(entry_id, 99),
                    kind_mismatch=wrong_kind,
                )
            )
        candidates = self._weigh_dates(candidates, dates, AnswerKind.EVENT in asked)
        candidates = self._weigh_ordinals(candidates, ordinals(question))
        # "what happened on jan 19": a day the knowledge's events mention makes a question on-topic
        dated = bool(asked & {AnswerKind.EVENT, AnswerKind.DATE}) and any(c.date_match for c in candidates)
        if self.semantic is not None:
            candidates.sort(key=lambda c: c.fused, reverse=True)
        else:  # lexical-only keeps the index's own order, but for the kind of answer asked for
            candidates.sort(key=lambda c: c.kind_mismatch)
        exact_id = self.exact_match(question)
        exact = exact_id is not None
        if exact_id is not None:
            first = next((c for c in candidates if c.entry.id == exact_id), None)
            if first is None:
                entry = self._entries[exact_id]
                first = Candidate(entry, 1.0, 1.0, SCORE_SATURATION, 1.0, 1.0, entry.questions.en[0], True)
            candidates = [first, *(c for c in candidates if c is not first)]
        return Ranking(
            candidates=candidates,
            qualifier=self.qualifier(question, candidates[0].entry.id, found.on_topic) if candidates else None,
            lang=lang,
            asked=asked,
            exact=exact,
            on_topic=found.on_topic or dated,
            known_terms=found.known_terms,
            scope_id=scope_id,
            scope=scope,
            semantic=self.semantic is not None,
        )


def _scaled(candidate: Candidate, factor: float, *, date_match: bool | None = None) -> Candidate:
    """The candidate with its lexical and fused scores multiplied by `factor` (and `date_match` set if given)."""
    flag = candidate.date_match if date_match is None else date_match
    return dataclasses.replace(
        candidate, fused=candidate.fused * factor, lexical=candidate.lexical * factor, date_match=flag
    )


def _same_words(asked: str, known: str) -> bool:
    """Whether two near-identical questions differ only by typos: "when was the ruling" is not "when was
    the hearing", though the strings are 92% alike. Each word of one must have a close spelling in the other."""
    a, b = set(asked.split()), set(known.split())
    return all(any(fuzz.ratio(w, o) >= TYPO_RATIO for o in b) for w in a - b) and all(
        any(fuzz.ratio(w, o) >= TYPO_RATIO for o in a) for w in b - a
    )


def _dated_text(entry: Entry) -> str:
    """What an entry says, in both languages: where the dates it mentions are read from."""
    short = [entry.short.en, entry.short.zh] if entry.short else []
    return " ".join([entry.title.en, entry.title.zh, entry.answer.en, entry.answer.zh, *short])
