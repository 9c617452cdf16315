"""Answer quality on the shipped knowledge, judged by the public scorer's rules.

Floors sit a little below the measured figures, so a change that makes answering worse in general
fails here; the sets themselves are never copied into the knowledge (see eval/README.md).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from bot.cli_ask import parse_now, reply_to_json
from bot.core.answering import Answerer
from bot.knowledge.loader import load_knowledge
from bot.settings import PROJECT_ROOT

FLOORS = {
    PROJECT_ROOT.parent / "shared" / "eval" / "dev.jsonl": 0.95,
    PROJECT_ROOT / "eval" / "fresh-holdout.jsonl": 0.93,
    PROJECT_ROOT / "eval" / "fresh-holdout-2.jsonl": 0.85,
    PROJECT_ROOT / "eval" / "fresh-holdout-3.jsonl": 0.82,
    PROJECT_ROOT / "eval" / "law-paraphrases.jsonl": 0.93,
    PROJECT_ROOT / "eval" / "rednote-paraphrases.jsonl": 0.92,
}
CJK = re.compile(r"[\u4e00-\u9fff]")


def judge(item: dict[str, Any], got: dict[str, Any]) -> list[str]:
    """What is wrong with an answer, by the rules of ../shared/eval/score.py (regexes, language, sources)."""
    expect = item["expect"]
    if bool(got["answered"]) != expect["answered"]:
        return [f"answered={got['answered']}, expected {expect['answered']}"]
    if not got["answered"]:
        return []
    text = got["answer"]
    why = [f"missing /{rx}/" for rx in expect.get("must", []) if not re.search(rx, text, re.I)]
    anys = expect.get("any", [])
    if anys and not any(re.search(rx, text, re.I) for rx in anys):
        why.append(f"none of {anys}")
    why += [f"has forbidden /{rx}/" for rx in expect.get("must_not", []) if re.search(rx, text, re.I)]
    if expect.get("lang") == "zh" and not CJK.search(text):
        why.append("expected a Chinese answer")
    if expect.get("lang") == "en" and len(CJK.findall(text)) > len(text) / 4:
        why.append("expected an English answer")
    if not got["sources"]:
        why.append("no sources cited")
    return why


@pytest.fixture(scope="module")
def answerer() -> Answerer:
    return Answerer(load_knowledge(PROJECT_ROOT / "knowledge"))


@pytest.mark.parametrize("path", list(FLOORS), ids=lambda p: p.name)
def test_question_set_scores_above_its_floor(path: Path, answerer: Answerer) -> None:
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
