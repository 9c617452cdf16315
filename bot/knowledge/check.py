"""`banbot kb check`: validate the knowledge before it ships (gaps and feedback live in bot.ops.reports)."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.errors import KnowledgeError
from bot.knowledge.loader import KnowledgeBase, load_knowledge


def print_problems(problems: Sequence[object], summary: str) -> None:
    """Every problem on its own line, then `summary` (the command and what to do), on stderr."""
    for problem in problems:
        print(problem, file=sys.stderr)
    print(summary, file=sys.stderr)


def overdue_entries(kb: KnowledgeBase, today: dt.date) -> list[str]:
    """Ids of entries whose review date has passed (their facts may be stale), longest overdue first."""
    due = [e for e in kb.entries.values() if e.review_by is not None and e.review_by < today]
    return [e.id for e in sorted(due, key=lambda e: (e.review_by, e.id))]


WEAK_TIERS = frozenset({"other", "mirror"})


def curation_problems(kb: KnowledgeBase) -> list[str]:
    """What the shipped knowledge must have beyond what the schema requires: every entry a short answer
    and a checked date, every deadline a checked date."""
    problems = [f"entry {e.id}: no short answer" for e in kb.entries.values() if e.short is None]
    problems += [f"entry {e.id}: no checked date" for e in kb.entries.values() if e.checked is None]
    problems += [f"deadline {d.id}: no checked date" for d in kb.deadlines.values() if d.checked is None]
    return problems


def kind_warnings(kb: KnowledgeBase) -> list[str]:
    """Entries that do not say what kinds of answer they give (`answers`): every question asking for a date,
    a reason, a person or a number counts them as giving the wrong kind."""
    return [
        f"entry {e.id}: no answer kinds (answers: date, reason, person ...)"
        for e in kb.entries.values()
        if not e.answers
    ]


def source_warnings(kb: KnowledgeBase) -> list[str]:
    """Entries backed only by copies or minor pages, and URLs whose host looks malformed."""
    warnings = [
        f"entry {e.id} is backed only by {'mirrors' if tiers == {'mirror'} else 'mirror or other pages'}: "
        "cite the original publisher or a primary document"
        for e in kb.entries.values()
        if (tiers := {kb.sources[s].tier for s in e.sources}) <= WEAK_TIERS
    ]
    for src in kb.sources.values():
        host = src.url.host or ""
        if host.endswith(".") or ".." in host or not host:
            warnings.append(f"source {src.id}: malformed host {host!r} in {src.url}")
    return warnings


def kb_check(root: Path, today: dt.date) -> int:
    """Validate the knowledge; print every problem (file: field: message). Exit status 1 on any problem."""
    try:
        kb = load_knowledge(root)
    except KnowledgeError as exc:
        print_problems(exc.problems, f"kb check: {len(exc.problems)} problem(s)")
        return 1
    missing = curation_problems(kb)
    for line in missing:
        print(f"error: {line}", file=sys.stderr)
    for warning in [*kind_warnings(kb), *source_warnings(kb)]:
        print(f"warning: {warning}", file=sys.stderr)
    if missing:
        print(f"kb check: {len(missing)} problem(s)", file=sys.stderr)
        return 1
    overdue = overdue_entries(kb, today)
    for entry_id in overdue:
        review_by = kb.entries[entry_id].review_by
        print(f"warning: entry {entry_id} was due for review on {review_by}", file=sys.stderr)
    print(
        f"kb check: ok, {len(kb.entries)} entries, {len(kb.sources)} sources, "
        f"{len(kb.deadlines)} deadlines, version {kb.version}; {len(overdue)} overdue for review"
    )
    return 0
