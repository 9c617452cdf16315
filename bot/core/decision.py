"""Whether to answer: the best entry weighed against the question's focus and the out-of-scope examples."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.core.ranking import Candidate, Ranking


class Verdict(StrEnum):
    ANSWER = "answer"
    SUGGEST = "suggest"
    """Close to some entries, not close enough to one: "did you mean"."""
    OUT_OF_SCOPE = "out_of_scope"
    """Closer to a kind of question the bot declines (app how-tos, markets ...) than to any entry."""
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Fitted on our own question sets with scripts/tune.py; the figures are in eval/README.md."""

    answer: float = 0.25
    """The fused score (bot.core.ranking.Weights) above which the bot answers ..."""
    suggest: float = 0.15
    """... and above which it offers "did you mean"."""
    scope_min: float = 0.4
    """An out-of-scope group this similar to the question can claim it ..."""
    scope_margin: float = 0.0
    """... when it is at least this much more similar than the best entry."""
    lexical_trust: float = 0.5
    """The lexical engine's first entry is answered when it covers this share of an on-topic question ..."""
    trust_semantic_gap: float = 0.15
    """... unless the encoder finds another entry more similar by more than this ..."""
    lexical_lead: float = 0.1
    """... and when its lexical confidence leads every other candidate's by this much: among entries that all
    cover the question, the lexical order is a tie-break on raw term counts, not evidence."""
    unanchored_semantic: float = 0.5
    """A question naming no anchor term (TikTok, RedNote ...) is answered when an entry is this similar."""
    strong_semantic: float = 0.5
    """Similar enough that a question naming something the entry never mentions is still answered."""
    covered_subject: float = 0.8
    """A lexical match covering this share of an on-topic question is a subject the knowledge covers: an
    out-of-scope group does not decline it outright ("oracle stake?"); the bot asks back instead."""
    scope_rival: float = 0.1
    weak_coverage: float = 0.3
    """An answer resting on the encoder alone (lexical coverage below `weak_coverage`) while an out-of-scope
    group is within `scope_rival` of its similarity is a guess between "about this entry" and "about something
    the bot does not cover" ("what happens to my creator fund payments if tiktok gets banned"): ask back."""
    clarify_margin: float = 0.03
    clarify_below: float = 0.4
    """Two entries within `clarify_margin` of each other, the first below `clarify_below`: the evidence is
    split, so the bot asks back with the choices rather than guess (a wrong answer is worse than a question)."""
    # The lexical engine's own rules (used alone when the encoder is off):
    coverage: float = 0.3
    suggest_coverage: float = 0.15
    min_score: float = 1.0
    unanchored_coverage: float = 0.8


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    candidate: Candidate | None = None
    scope_id: str | None = None
    confidence: float = 0.0


def decide(ranking: Ranking, t: Thresholds) -> Decision:
    """Answer, suggest or decline, from the fused ranking (or the lexical one alone)."""
    if not ranking.candidates:
        return _decline(ranking, t)
    top = ranking.candidates[0]
    if ranking.exact:
        return Decision(Verdict.ANSWER, top, confidence=1.0)
    if ranking.qualifier is not None:  # "is TikTok banned in India": about a place the knowledge does not cover
        return Decision(Verdict.OUT_OF_SCOPE, top, ranking.qualifier[0])
    if not ranking.semantic:
        return _lexical(ranking, top, t)
    confidence = round(min(1.0, top.fused), 3)
    trusted = _lexically_trusted(ranking, t)
    if trusted is not None:
        return Decision(Verdict.ANSWER, trusted, confidence=round(min(1.0, max(trusted.fused, trusted.lexical)), 3))
    if _scope_rivals(ranking, top, t, t.scope_margin) and not top.date_match:
        # a subject the knowledge covers is never declined as off-topic
        covered = _lexical_first(ranking, t, t.covered_subject)
        if covered is None:
            return Decision(Verdict.OUT_OF_SCOPE, top, ranking.scope_id, confidence)
        # the words name a subject the knowledge covers, the question reads like one it declines: ask back
        return Decision(Verdict.SUGGEST, covered, confidence=confidence)
    unanchored_ok = (top.coverage >= t.unanchored_coverage and ranking.known_terms >= 2) or (
        top.semantic >= t.unanchored_semantic
    )
    if not ranking.on_topic and not unanchored_ok:
        return _decline(ranking, t)
    if not top.names_anchor and top.semantic < t.strong_semantic:
        return Decision(Verdict.SUGGEST, top, confidence=confidence)
    if top.fused >= t.answer:
        if _split(ranking, t) or _rivalled_by_scope(ranking, top, t):
            return Decision(Verdict.SUGGEST, top, confidence=confidence)
        return Decision(Verdict.ANSWER, top, confidence=confidence)
    if top.fused >= t.suggest:
        return Decision(Verdict.SUGGEST, top, confidence=confidence)
    return _decline(ranking, t)


def _lexically_trusted(ranking: Ranking, t: Thresholds) -> Candidate | None:
    """The lexical engine's first entry when it covers nearly all of an on-topic question and the encoder
    does not find the question closer to something the bot declines: names and numbers are its strength."""
    if ranking.lang == "zh":  # Chinese is matched on character pairs: coverage says less there
        return None
    first = _lexical_first(ranking, t, t.lexical_trust)
    if first is None:
        return None
    if _scope_rivals(ranking, first, t, t.scope_margin):
        return None
    if max(c.semantic for c in ranking.candidates) - first.semantic > t.trust_semantic_gap:
        return None  # the encoder finds another entry clearly closer
    if first.lexical - max((c.lexical for c in ranking.candidates if c is not first), default=0.0) < t.lexical_lead:
        return None  # other entries match the words as well: the fused order decides
    return first


def _lexical_first(ranking: Ranking, t: Thresholds, coverage: float) -> Candidate | None:
    """The lexical engine's first entry when it names the question's subject, gives the kind of answer asked
    for and covers at least `coverage` of an on-topic question."""
    first = min(ranking.candidates, key=lambda c: c.lexical_rank)
    if first.lexical_rank != 0 or not ranking.on_topic or not first.names_anchor or first.kind_mismatch:
        return None
    if first.coverage < coverage or first.score < t.min_score:
        return None
    return first


def _split(ranking: Ranking, t: Thresholds) -> bool:
    """The first two candidates are too close to tell apart, and neither is a strong match."""
    top, *rest = ranking.candidates
    second = rest[0].fused if rest else 0.0
    return top.fused < t.clarify_below and top.fused - second < t.clarify_margin


def _rivalled_by_scope(ranking: Ranking, top: Candidate, t: Thresholds) -> bool:
    """The encoder alone vouches for the entry, and finds the question nearly as close to a kind of question
    the bot declines."""
    return top.coverage < t.weak_coverage and not top.date_match and _scope_rivals(ranking, top, t, -t.scope_rival)


def _scope_rivals(ranking: Ranking, candidate: Candidate, t: Thresholds, margin: float) -> bool:
    """The closest out-of-scope group is similar enough to claim the question, and at least `margin` more
    similar to it than `candidate` is."""
    return ranking.scope >= t.scope_min and ranking.scope - candidate.semantic >= margin


def _decline(ranking: Ranking, t: Thresholds) -> Decision:
    if ranking.scope_id is not None and ranking.scope >= t.scope_min:
        return Decision(Verdict.OUT_OF_SCOPE, None, ranking.scope_id)
    return Decision(Verdict.UNKNOWN)


def _lexical(ranking: Ranking, top: Candidate, t: Thresholds) -> Decision:
    """The lexical engine alone (BANBOT_SEMANTIC=off): coverage and score decide, as before the encoder."""
    if not ranking.on_topic and (top.coverage < t.unanchored_coverage or ranking.known_terms < 2):
        return Decision(Verdict.UNKNOWN, top)
    if not top.names_anchor:
        return Decision(Verdict.SUGGEST, top)
    if top.coverage >= t.coverage and top.score >= t.min_score:
        return Decision(Verdict.ANSWER, top, confidence=round(min(1.0, top.fused), 3))
    if top.coverage >= t.suggest_coverage and top.score >= t.min_score / 2:
        return Decision(Verdict.SUGGEST, top, confidence=round(min(1.0, top.fused), 3))
    return Decision(Verdict.UNKNOWN, top)
