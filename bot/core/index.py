"""A small BM25 index over the knowledge entries, with fuzzy correction of misspelled query words."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.schema import Entry
from bot.types import CJK

from .tokens import STOPWORDS, SynonymMap, canonical_token, tokenize

_WORD = re.compile(r"[a-z][a-z0-9]*")


def _is_cjk_char(token: str) -> bool:
    return len(token) == 1 and bool(CJK.match(token))


FIELD_WEIGHTS: dict[str, float] = {"question": 1.0, "keyword": 0.7, "title": 0.6, "answer": 0.25}
"""How much a match in each field counts: alternate questions say most about what an entry answers."""

K1 = 1.2
B = 0.75
FUZZY_MIN_LEN = 5
FUZZY_CUTOFF = 84.0
COVERAGE_WEIGHT = 0.5
"""Ranking is score x coverage^weight: an entry that covers all of a question beats one that scores high on
a single rare word."""
OFF_SUBJECT_FACTOR = 0.8
"""An entry about a subject the question does not mention (RedNote, when the question is about the law)
keeps this share of its score per missing subject."""
MISSING_ANCHOR_FACTOR = 0.7
"""An entry that never mentions an anchor term of the question (Biden, Oracle, the court ...) keeps this
share of its score per such term."""
OOV_CJK_SHARE = 0.3
"""An unknown Chinese character pair counts for this share of an unknown English word."""
BEST_QUESTION_HITS = 4
"""The closest alternate question is looked up for this many hits (those a reply may suggest)."""
FUZZY_DISCOUNT = 0.7
"""A word matched only after typo correction counts for this share of its weight."""


@dataclass(frozen=True, slots=True)
class Hit:
    entry: Entry
    score: float
    coverage: float
    """Share of the question's information (IDF-weighted tokens) found in this entry, 0..1."""
    best_question: str
    """The entry's alternate question closest to the query ("" beyond the first BEST_QUESTION_HITS hits)."""
    names_anchor: bool = True
    """The entry mentions at least one anchor term of the question (or the question names none)."""


@dataclass(frozen=True, slots=True)
class Search:
    hits: list[Hit]
    on_topic: bool
    """The question mentions at least one anchor term (see `Answerer.answer` for the one exception)."""
    known_terms: int = 0
    """How many of the question's words the knowledge uses."""
    anchors: frozenset[str] = frozenset()
    """The anchor terms the question names."""
    subjects: frozenset[str] = frozenset()
    """The anchors named and those they are `part_of` (ByteDance names TikTok's subject too)."""


@dataclass(slots=True)
class _Field:
    lengths: list[int]
    postings: dict[str, dict[int, int]]
    avg_len: float


class Index:
    """BM25F-style ranking of entries for a question."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.synonyms = SynonymMap(kb.synonyms)
        self.entries: list[Entry] = list(kb.entries.values())
        self._questions: list[list[tuple[str, frozenset[str]]]] = []
        texts: dict[str, list[list[str]]] = {f: [] for f in FIELD_WEIGHTS}
        for entry in self.entries:
            questions = [*entry.questions.en, *entry.questions.zh]
            q_tokens = [tokenize(q, self.synonyms) for q in questions]
            self._questions.append([(q, frozenset(t)) for q, t in zip(questions, q_tokens, strict=True)])
            texts["question"].append([t for toks in q_tokens for t in dict.fromkeys(toks)])
            texts["keyword"].append(tokenize(" ; ".join([*entry.keywords.en, *entry.keywords.zh]), self.synonyms))
            texts["title"].append(tokenize(f"{entry.title.en} ; {entry.title.zh}", self.synonyms))
            texts["answer"].append(tokenize(f"{entry.answer.en} ; {entry.answer.zh}", self.synonyms))
        self._fields: dict[str, _Field] = {}
        doc_freq: Counter[str] = Counter()
        for name, docs in texts.items():
            postings: dict[str, dict[int, int]] = defaultdict(dict)
            for i, toks in enumerate(docs):
                for tok, n in Counter(toks).items():
                    postings[tok][i] = n
            lengths = [len(d) for d in docs]
            self._fields[name] = _Field(lengths, dict(postings), (sum(lengths) / len(lengths)) if lengths else 1.0)
        self._entry_tokens = [frozenset(t for name in texts for t in texts[name][i]) for i in range(len(self.entries))]
        for tokens in self._entry_tokens:
            doc_freq.update(tokens)
        n = max(len(self.entries), 1)
        self.idf: dict[str, float] = {t: math.log(1 + (n - df + 0.5) / (df + 0.5)) for t, df in doc_freq.items()}
        self.max_idf = math.log(1 + (n + 0.5) / 0.5)
        self.anchors = frozenset(
            tok
            for group in kb.synonyms
            if group.anchor
            for tok in tokenize(canonical_token(group.canonical), self.synonyms)
        )
        self._part_of = {
            tok: whole
            for group in kb.synonyms
            if group.anchor and group.part_of
            for tok in tokenize(canonical_token(group.canonical), self.synonyms)
            for whole in tokenize(canonical_token(group.part_of), self.synonyms)
        }
        self._subjects = [self._principal_anchors(qs) for qs in self._questions]
        self.subjects = {entry.id: subjects for entry, subjects in zip(self.entries, self._subjects, strict=True)}
        """What each entry is about: the anchors most of its questions name (RedNote, the court ...)."""
        self._words = self._known_words(kb)
        self._by_initial: dict[str, list[str]] = defaultdict(list)
        for word in sorted(self._words):
            self._by_initial[word[0]].append(word)
        self._correct = lru_cache(maxsize=8192)(self._correct_uncached)

    def _principal_anchors(self, questions: list[tuple[str, frozenset[str]]]) -> frozenset[str]:
        """Anchors that most of an entry's questions mention: what the entry is about (RedNote, the court ...)."""
        counts: Counter[str] = Counter(t for _, toks in questions for t in toks if t in self.anchors)
        return frozenset(t for t, n in counts.items() if n * 2 >= len(questions))

    @staticmethod
    def _known_words(kb: KnowledgeBase) -> frozenset[str]:
        """Every English word the knowledge uses, including synonym variants: the spelling dictionary."""
        words: set[str] = set()
        for entry in kb.entries.values():
            for text in (*entry.questions.en, *entry.keywords.en, entry.title.en, entry.answer.en):
                words.update(_WORD.findall(text.lower()))
        for group in kb.synonyms:
            for variant in (group.canonical, *group.variants):
                words.update(_WORD.findall(variant.lower()))
        return frozenset(w for w in words if len(w) >= FUZZY_MIN_LEN and w not in STOPWORDS)

    def _correct_uncached(self, word: str) -> str | None:
        """The closest known word; typos rarely hit the first letter, so it must match."""
        candidates = self._by_initial.get(word[0], ())
        found = process.extractOne(word, candidates, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        return str(found[0]) if found else None

    def correct_word(self, word: str) -> str | None:
        """The known word a misspelled lowercase English word stands for; None when it is fine or unknown."""
        if len(word) < FUZZY_MIN_LEN or word in self._words or word in STOPWORDS or not word.isalpha():
            return None
        return self._correct(word)

    def query_terms(self, question: str) -> list[tuple[str, float]]:
        """(token, weight) pairs: misspelled English words are corrected against the knowledge's own words
        first and count for less; tokens the knowledge never uses keep weight 0 (they only lower coverage)."""
        corrected: set[str] = set()

        def fix(match: re.Match[str]) -> str:
            word = match.group(0)
            fixed = self.correct_word(word)
            if fixed is None:
                return word
            corrected.update(tokenize(fixed, self.synonyms))
            return fixed

        text = _WORD.sub(fix, question.lower())
        terms: list[tuple[str, float]] = []
        for tok in dict.fromkeys(tokenize(text, self.synonyms)):
            if tok not in self.idf:
                terms.append((tok, 0.0))
            else:
                terms.append((tok, FUZZY_DISCOUNT if tok in corrected else 1.0))
        return terms

    def _info(self, token: str) -> float:
        """How much a query token says: its IDF; unknown English words the most, unknown Chinese pairs little
        (character pairs across word boundaries are noise), single Chinese characters nothing."""
        if _is_cjk_char(token):
            return 0.0
        if token in self.idf:
            return self.idf[token]
        return self.max_idf * (OOV_CJK_SHARE if CJK.match(token) else 1.0)

    def search(self, question: str, limit: int = 5, *, best_questions: bool = True) -> Search:
        """The best entries for `question`, and whether it mentions an anchor term (TikTok, RedNote, the ban ...).
        `best_questions=False` skips looking up each hit's closest alternate (the encoder has its own)."""
        terms = self.query_terms(question)
        total_info = sum(self._info(t) for t, _ in terms)
        on_topic = not self.anchors or any(weight > 0 and tok in self.anchors for tok, weight in terms)
        known = sum(1 for _, weight in terms if weight > 0)
        query_set = frozenset(t for t, w in terms if w > 0)
        query_anchors = query_set & self.anchors
        if not terms:
            return Search([], on_topic, known)
        scores: dict[int, float] = defaultdict(float)
        matched_info: dict[int, float] = defaultdict(float)
        for tok, weight in terms:
            if weight == 0.0:
                continue
            idf = self.idf[tok]
            docs_with_tok: set[int] = set()
            for name, field in self._fields.items():
                field_weight = weight * FIELD_WEIGHTS[name] * idf * (K1 + 1)
                lengths, avg_len = field.lengths, field.avg_len
                for i, tf in field.postings.get(tok, {}).items():
                    scores[i] += field_weight * tf / (tf + K1 * (1 - B + B * lengths[i] / avg_len))
                    docs_with_tok.add(i)
            info = weight * self._info(tok)  # once per token, not once per document holding it
            for i in docs_with_tok:
                matched_info[i] += info
        for i in scores:
            off_subject = len(self._subjects[i] - query_set)
            unmentioned = len(query_anchors - self._entry_tokens[i])
            scores[i] *= OFF_SUBJECT_FACTOR**off_subject * MISSING_ANCHOR_FACTOR**unmentioned
        coverage = {i: min(1.0, matched_info[i] / total_info) if total_info else 0.0 for i in scores}
        ranked = sorted(scores, key=lambda i: scores[i] * coverage[i] ** COVERAGE_WEIGHT, reverse=True)
        hits = [
            Hit(
                self.entries[i],
                scores[i],
                coverage[i],
                self._best_question(i, query_set) if best_questions and n < BEST_QUESTION_HITS else "",
                names_anchor=not query_anchors or bool(query_anchors & self._entry_tokens[i]),
            )
            for n, i in enumerate(ranked[:limit])
        ]
        named = query_anchors | {self._part_of[a] for a in query_anchors if a in self._part_of}
        return Search(hits, on_topic, known, query_anchors, named)

    def _best_question(self, i: int, query: frozenset[str]) -> str:
        best, best_overlap = self._questions[i][0][0], -1.0
        for text, toks in self._questions[i]:
            overlap = sum(self.idf.get(t, 0.0) for t in query & toks)
            if overlap > best_overlap:
                best, best_overlap = text, overlap
        return best
