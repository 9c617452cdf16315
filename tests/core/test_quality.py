"""Answer quality on the shipped knowledge, measured with the public scorer's own judge.

Floors sit a little below the measured figures, so a change that makes answering worse in general
fails here; the sets themselves are never copied into the knowledge (see eval/README.md).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.cli_ask import parse_now, reply_to_json
from bot.core.answering import Answerer
from bot.knowledge.loader import load_knowledge
from bot.settings import PROJECT_ROOT

SCORER = PROJECT_ROOT.parent / "shared" / "eval" / "score.py"
FLOORS = {
    PROJECT_ROOT.parent / "shared" / "eval" / "dev.jsonl": 0.95,
    PROJECT_ROOT / "eval" / "fresh-holdout.jsonl": 0.93,
    PROJECT_ROOT / "eval" / "law-paraphrases.jsonl": 0.93,
    PROJECT_ROOT / "eval" / "rednote-paraphrases.jsonl": 0.92,
}

Judge = Callable[[dict[str, Any], dict[str, Any] | None], list[str]]


@pytest.fixture(scope="module")
def judge() -> Judge:
    if not SCORER.is_file():
        pytest.skip("../shared/eval/score.py is not beside this checkout")
    spec = importlib.util.spec_from_file_location("banbot_public_scorer", SCORER)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    found: Judge = module.judge
    return found


@pytest.fixture(scope="module")
def answerer() -> Answerer:
    return Answerer(load_knowledge(PROJECT_ROOT / "knowledge"))


@pytest.mark.parametrize("path", list(FLOORS), ids=lambda p: p.name)
def test_question_set_scores_above_its_floor(path: Path, judge: Judge, answerer: Answerer) -> None:
    if not path.is_file():
        pytest.skip(f"{path} is not beside this checkout")
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    failures = []
    for item in items:
        now = parse_now(item.get("now"), dt.datetime.now(dt.UTC))
        got = reply_to_json(item["id"], answerer.answer(item["question"], now))
        if why := judge(item, got):
            failures.append(f"{item['question']!r}: {'; '.join(why)}")
    score = 1 - len(failures) / len(items)
    assert score >= FLOORS[path], f"{path.name}: {score:.1%}\n" + "\n".join(failures)
