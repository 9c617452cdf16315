"""Fit the hybrid engine's fusion weights and answer thresholds on our own question sets.

For every question it records the ranking's raw evidence (lexical confidence, coverage, score and cosine
similarity of the top candidates, the closest out-of-scope group) and whether answering from each candidate
would pass the set's checks. Then it searches weights and thresholds coordinate by coordinate, simulating
`bot.core.decision.decide`, and prints the best setting with its per-set accuracy and decline precision.
Never run it on a set you want to use as an honest first-run figure (eval/README.md).

Usage: python scripts/tune.py [eval/*.jsonl ...]
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
from pathlib import Path

from bot.core.decision import Thresholds, Verdict, decide
from bot.core.language import detect_language
from bot.core.ranking import Candidate, Ranking, Weights
from bot.core.render_text import answer_text
from bot.core.text import clean_question
from bot.engine import AnswererFactory
from bot.kbtest import judge, read_items
from bot.knowledge.loader import load_knowledge
from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2026, 11, 26, 12, tzinfo=dt.UTC)

Case = tuple[str, Ranking, dict[str, bool], bool]
"""(set name, ranking, entry id -> answering from it passes, declining passes)."""


def collect(paths: list[Path]) -> list[Case]:
    settings = Settings(_env_file=None, semantic=True)  # type: ignore[call-arg]
    answerer = AnswererFactory.from_settings(settings)(load_knowledge(ROOT / "knowledge"))
    cases: list[Case] = []
    for path in paths:
        for item in read_items(path):
            text = clean_question(item["question"])
            ranking = answerer.ranker.rank(text)
            passes = {}
            for c in ranking.candidates[:5]:
                reply = answerer.entry_reply(c.entry.id, NOW, detect_language(text))
                passes[c.entry.id] = not judge(item["expect"], True, answer_text(reply), ["x"])
            cases.append((path.name, ranking, passes, not item["expect"].get("answered")))
    return cases


def reweigh(ranking: Ranking, w: Weights) -> Ranking:
    def fused(c: Candidate) -> float:
        sem = max(0.0, (c.semantic - w.semantic_floor) / (1 - w.semantic_floor))
        return w.lexical * c.lexical + w.semantic * sem

    candidates = [dataclasses.replace(c, fused=fused(c)) for c in ranking.candidates]
    head = candidates[:1] if ranking.exact else []
    rest = sorted(candidates[len(head) :], key=lambda c: c.fused, reverse=True)
    return dataclasses.replace(ranking, candidates=head + rest)


def score(cases: list[Case], w: Weights, t: Thresholds) -> tuple[float, dict[str, tuple[float, float]]]:
    per_set: dict[str, list[int]] = {}
    for name, ranking, passes, must_decline in cases:
        d = decide(reweigh(ranking, w), t)
        answered = d.verdict is Verdict.ANSWER
        ok = (not answered and must_decline) or (
            answered and not must_decline and d.candidate is not None and passes.get(d.candidate.entry.id, False)
        )
        counts = per_set.setdefault(name, [0, 0, 0, 0])
        counts[0] += ok
        counts[1] += 1
        if not answered:
            counts[2] += 1
            counts[3] += must_decline
    result = {name: (c[0] / c[1], c[3] / c[2] if c[2] else 1.0) for name, c in per_set.items()}
    accuracy = [a for a, _ in result.values()]
    precision = [p for _, p in result.values()]
    # every set must hold, not just the total: the worst set counts again, and so does decline precision
    objective = sum(accuracy) / len(accuracy) + min(accuracy) + 0.5 * min(precision)
    return objective, result


GRID: dict[str, list[float]] = {
    "w.lexical": [0.2, 0.3, 0.4, 0.5, 0.6, 0.7],
    "w.semantic_floor": [0.25, 0.3, 0.35, 0.4, 0.45],
    "t.answer": [0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5],
    "t.scope_min": [0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8, 1.1],
    "t.scope_margin": [-0.1, -0.05, 0.0, 0.05, 0.1, 0.15],
    "t.lexical_trust": [0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1],
    "t.unanchored_semantic": [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 1.1],
    "t.strong_semantic": [0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 1.1],
}


def fit(cases: list[Case]) -> tuple[Weights, Thresholds]:
    """Coordinate search from the current defaults, three passes over the grid."""
    w, t = Weights(), Thresholds()
    best, _ = score(cases, w, t)
    for _round in range(3):
        for key, values in GRID.items():
            kind, name = key.split(".")
            for value in values:
                w2 = dataclasses.replace(w, **{name: value}) if kind == "w" else w
                if kind == "w":
                    w2 = dataclasses.replace(w2, semantic=round(1 - w2.lexical, 3))
                t2 = dataclasses.replace(t, **{name: value}) if kind == "t" else t
                objective, _ = score(cases, w2, t2)
                if objective > best + 1e-9:
                    best, w, t = objective, w2, t2
    return w, t


def report(result: dict[str, tuple[float, float]]) -> None:
    for name, (accuracy, precision) in sorted(result.items()):
        print(f"  {name:28s} accuracy {100 * accuracy:5.1f}%  decline precision {100 * precision:5.1f}%")


def main() -> None:
    paths = [Path(a) for a in sys.argv[1:]] or sorted((ROOT / "eval").glob("*.jsonl"))
    cases = collect(paths)
    print("as shipped:")
    report(score(cases, Weights(), Thresholds())[1])
    print("leave one set out (fitted without the set it is scored on: the honest estimate):")
    for held in sorted({c[0] for c in cases}):
        w, t = fit([c for c in cases if c[0] != held])
        report(score([c for c in cases if c[0] == held], w, t)[1])
    w, t = fit(cases)
    print("fitted on every set:")
    print(w)
    print(t)
    report(score(cases, w, t)[1])


if __name__ == "__main__":
    main()
