"""`banbot kb check`: validate the knowledge before it ships (gaps and feedback live in bot.ops.reports)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from bot.errors import KnowledgeError
from bot.knowledge.loader import KnowledgeBase, load_knowledge


def overdue_entries(kb: KnowledgeBase, today: dt.date) -> list[str]:
    """Ids of entries whose review date has passed (their facts may be stale), longest overdue first."""
    due = [e for e in kb.entries.values() if e.review_by is not None and e.review_by < today]
    return [e.id for e in sorted(due, key=lambda e: (e.review_by, e.id))]


def kb_check(root: Path, today: dt.date) -> int:
    """Validate the knowledge; print every problem (file: field: message). Exit status 1 on any problem."""
    try:
        kb = load_knowledge(root)
    except KnowledgeError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"kb check: {len(exc.problems)} problem(s)", file=sys.stderr)
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
