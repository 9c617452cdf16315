"""`banbot kb test FILE.jsonl`: batch-test the answers on a question set, as curators of hosted
question-answering services do: accuracy per category, and the confusions (what was chosen instead,
with the top three candidates and their scores).

The question-set format is the one of eval/*.jsonl: {"id", "question", "now"?, "category"?, "expect":
{"answered", "must"?, "any"?, "must_not"?, "lang"?, "entry"?}}; the rules are those of the public scorer.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from bot.cli_ask import BadLineError, parse_now
from bot.core.answering import Answerer
from bot.core.models import Reply
from bot.core.render_text import answer_text
from bot.core.text import clean_question
from bot.types import CJK


def judge(expect: dict[str, Any], answered: bool, text: str, sources: list[str]) -> list[str]:
    """What is wrong with an answer (empty when it passes), by the public scorer's rules."""
    if answered != bool(expect.get("answered")):
        return [f"answered={answered}, expected {bool(expect.get('answered'))}"]
    if not answered:
        return []
    why = [f"missing /{rx}/" for rx in expect.get("must", []) if not re.search(rx, text, re.I)]
    anys = expect.get("any", [])
    if anys and not any(re.search(rx, text, re.I) for rx in anys):
        why.append(f"none of {anys}")
    why += [f"has forbidden /{rx}/" for rx in expect.get("must_not", []) if re.search(rx, text, re.I)]
    if expect.get("lang") == "zh" and not CJK.search(text):
        why.append("expected a Chinese answer")
    if expect.get("lang") == "en" and len(CJK.findall(text)) > len(text) / 4:
        why.append("expected an English answer")
    if not sources:
        why.append("no sources cited")
    return why


KINDS = ("right", "clarify", "wrong", "false decline")
"""What a member saw, best first: the right answer, a question back, a confident wrong answer (or an answer
to a question that must be declined), or a decline of a question the bot should have answered. A wrong
answer is the worst: members repeat it."""


@dataclass
class Outcome:
    item: dict[str, Any]
    reply: Reply
    why: list[str]
    top: list[tuple[str, float]] = field(default_factory=list)

    @property
    def kind(self) -> str:
        if not self.why:
            return "right"
        if self.reply.answered or not self.item["expect"].get("answered"):
            return "wrong"
        return "clarify" if self.reply.outcome == "clarify" else "false decline"


@dataclass
class Report:
    outcomes: list[Outcome]

    @property
    def accuracy(self) -> float:
        return self.share("right")

    def share(self, kind: str) -> float:
        """The share of questions with this outcome (`KINDS`)."""
        return sum(1 for o in self.outcomes if o.kind == kind) / len(self.outcomes) if self.outcomes else 0.0

    @property
    def decline_precision(self) -> float:
        """Of the questions the bot declined (a question back is not a decline), the share it should have."""
        declined = [o for o in self.outcomes if o.reply.outcome == "decline"]
        if not declined:
            return 1.0
        return sum(1 for o in declined if not o.item["expect"].get("answered")) / len(declined)

    @property
    def must_decline_recall(self) -> float:
        """Of the questions that must be declined, the share the bot declined."""
        must = [o for o in self.outcomes if not o.item["expect"].get("answered")]
        if not must:
            return 1.0
        return sum(1 for o in must if not o.reply.answered) / len(must)


def read_items(path: Path) -> list[dict[str, Any]]:
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        item = json.loads(line)
        if not isinstance(item, dict) or not isinstance(item.get("question"), str) or "expect" not in item:
            raise ValueError(f"{path}:{n}: expected an object with 'question' and 'expect'")
        items.append(item)
    return items


def run(answerer: Answerer, items: Iterable[dict[str, Any]], now: dt.datetime) -> Report:
    outcomes = []
    for item in items:
        try:
            when = parse_now(item.get("now"), now)
        except BadLineError:  # a set's unreadable `now` is not the answer's fault: answer as of the run
            when = now
        reply = answerer.answer(item["question"], when)
        text = answer_text(reply)
        why = judge(item["expect"], reply.answered, text, [s.url for s in reply.sources])
        expected_entry = item["expect"].get("entry")
        if not why and expected_entry and reply.entry_id != expected_entry:
            why.append(f"answered from {reply.entry_id}, expected {expected_entry}")
        top = []
        if why:
            ranking = answerer.ranker.rank(clean_question(item["question"]))
            top = [(c.entry.id, c.fused) for c in ranking.candidates[:3]]
        outcomes.append(Outcome(item, reply, why, top))
    return Report(outcomes)


def print_report(report: Report, name: str, out: TextIO, *, confusions: bool = True) -> None:
    per_category: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(KINDS, 0))
    for o in report.outcomes:
        per_category[str(o.item.get("category", "other"))][o.kind] += 1
    if confusions:
        for o in report.outcomes:
            if not o.why:
                continue
            top = ", ".join(f"{entry} {score:.2f}" for entry, score in o.top) or "none"
            expected = o.item["expect"].get("entry", "answer" if o.item["expect"].get("answered") else "decline")
            chosen = o.reply.entry_id or o.reply.kind.value
            out.write(
                f"{o.kind.upper()} {o.item.get('id')} {o.item['question']!r}: {'; '.join(o.why)}\n"
                f"     expected {expected}, chose {chosen}; top: {top}\n"
            )
    out.write(f"{'category':24s} {'right':>10s} {'clarify':>8s} {'wrong':>6s} {'f.decl':>7s}\n")
    for category, counts in sorted(per_category.items()):
        n = sum(counts.values())
        out.write(
            f"{category:24s} {counts['right']:4d}/{n:<4d} {counts['clarify']:8d} {counts['wrong']:6d}"
            f" {counts['false decline']:7d}\n"
        )
    passed = sum(1 for o in report.outcomes if not o.why)
    out.write(
        f"{name}: {passed}/{len(report.outcomes)} = {100 * report.accuracy:.1f}% right, "
        f"{100 * report.share('clarify'):.1f}% clarify, {100 * report.share('wrong'):.1f}% wrong, "
        f"{100 * report.share('false decline'):.1f}% false decline; "
        f"decline precision {100 * report.decline_precision:.1f}%, "
        f"must-decline recall {100 * report.must_decline_recall:.1f}%\n"
    )


def kb_test(answerer: Answerer, paths: list[Path], minimum: float | None, out: TextIO, *, quiet: bool = False) -> int:
    """Run each set; exit status 1 when a set scores below `minimum` (0..1), 2 when a file cannot be read."""
    status = 0
    now = dt.datetime.now(dt.UTC)
    for path in paths:
        try:
            items = read_items(path)
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            out.write(f"kb test: cannot read {path}: {exc}\n")
            return 2
        report = run(answerer, items, now)
        print_report(report, path.name, out, confusions=not quiet)
        if minimum is not None and report.accuracy < minimum:
            out.write(f"kb test: {path.name} scored {100 * report.accuracy:.1f}%, below --min {100 * minimum:.1f}%\n")
            status = 1
    return status
