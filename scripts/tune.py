"""Grid-search the answer thresholds over question sets (the public dev set and our own eval/*.jsonl).

For each question it records the top hit's coverage and score and whether answering with that entry
would pass the set's checks; then it reports accuracy for each (coverage, score) threshold pair.
Usage: python scripts/tune.py [files...]
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.cli_ask import parse_now, reply_to_json
from bot.core import answering
from bot.core.answering import Answerer
from bot.core.text import clean_question
from bot.knowledge.loader import load_knowledge

ROOT = Path(__file__).resolve().parent.parent


def _judge() -> Callable[[dict[str, Any], dict[str, Any]], list[str]]:
    """The public scorer's own judge, so tuning counts exactly what the scorer counts."""
    spec = importlib.util.spec_from_file_location("score", ROOT.parent / "shared" / "eval" / "score.py")
    if spec is None or spec.loader is None:
        raise SystemExit("../shared/eval/score.py not found")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    judge: Callable[[dict[str, Any], dict[str, Any]], list[str]] = module.judge
    return judge


def main() -> None:
    files = [Path(a) for a in sys.argv[1:]] or [
        ROOT.parent / "shared" / "eval" / "dev.jsonl",
        *sorted((ROOT / "eval").glob("*.jsonl")),
    ]
    judge = _judge()
    answerer = Answerer(load_knowledge(ROOT / "knowledge"))
    rows = []
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            now = parse_now(item.get("now"), dt.datetime.now(dt.UTC))
            found = answerer.index.search(clean_question(item["question"]), limit=1)
            hits = found.hits if found.on_topic and found.hits and found.hits[0].names_anchor else []
            forced = None
            if hits:
                old = answering.ANSWER_COVERAGE, answering.MIN_SCORE
                answering.ANSWER_COVERAGE, answering.MIN_SCORE = 0.0, 0.0
                forced = reply_to_json(item["id"], answerer.answer(item["question"], now))
                answering.ANSWER_COVERAGE, answering.MIN_SCORE = old
            good_if_answered = forced is not None and forced["answered"] and not judge(item, forced)
            cov = hits[0].coverage if hits else 0.0
            score = hits[0].score if hits else 0.0
            rows.append((item["expect"]["answered"], good_if_answered, cov, score, item["question"]))
    results = []
    for c in [x / 100 for x in range(20, 75, 5)]:
        for s in [0.5, 1.0, 1.5, 2.0, 3.0, 4.0]:
            ok = 0
            for expect, good, cov, score, _ in rows:
                answered = cov >= c and score >= s
                ok += (answered and expect and good) or (not answered and not expect)
            results.append((ok, c, s))
    results.sort(reverse=True)
    print(f"{len(rows)} questions; best thresholds (correct, coverage, score):")
    for r in results[:8]:
        print(f"  {r[0]}/{len(rows)}  coverage>={r[1]:.2f} score>={r[2]}")
    c, s = answering.ANSWER_COVERAGE, answering.MIN_SCORE
    print(f"current coverage>={c} score>={s}; misses:")
    for expect, good, cov, score, q in rows:
        answered = cov >= c and score >= s
        if not ((answered and expect and good) or (not answered and not expect)):
            tag = "WRONG-ENTRY" if expect and answered else ("UNANSWERED" if expect else "FALSE-ANSWER")
            print(f"  {tag:12s} cov={cov:.2f} score={score:5.2f} good={good!s:5s} {q!r}")


if __name__ == "__main__":
    main()
