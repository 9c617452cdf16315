"""`banbot kb gaps` and `banbot kb feedback`: what curators should look at next, from the bot's database."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from pathlib import Path

from bot.errors import KnowledgeError
from bot.knowledge.loader import load_knowledge
from bot.ops.database import DatabaseUnavailableError, using_database
from bot.settings import Settings
from bot.storage.records import FeedbackCount, Gap


def format_gaps(gaps: list[Gap]) -> str:
    """The most frequent unanswered or low-confidence questions, one per line."""
    if not gaps:
        return "No unanswered questions recorded."
    lines = [f"{'times':>5}  {'lang':4}  {'conf':>4}  {'last seen':16}  question"]
    for gap in gaps:
        lines.append(
            f"{gap.count:>5}  {gap.lang:4}  {gap.min_confidence:4.2f}  {gap.last_seen:%Y-%m-%d %H:%M}  {gap.text}"
        )
    return "\n".join(lines)


def format_feedback(counts: list[FeedbackCount], titles: dict[str, str] | None) -> str:
    """👍/👎 per entry, most voted first; entries no longer in the knowledge are marked.

    `titles` is None when the knowledge could not be loaded: entries are then listed by id only.
    """
    if not counts:
        return "No feedback recorded."
    lines = [f"{'👍':>4} {'👎':>4}  {'helpful':>7}  entry"]
    for c in counts:
        total = c.helpful + c.unhelpful
        share = f"{100 * c.helpful / total:.0f}%" if total else "-"
        entry = c.entry_id
        if titles is not None:
            entry += ": " + titles.get(c.entry_id, "(no longer in the knowledge)")
        lines.append(f"{c.helpful:>4} {c.unhelpful:>4}  {share:>7}  {entry}")
    return "\n".join(lines)


async def _gaps(settings: Settings, limit: int) -> str:
    async with using_database(settings) as store:
        return format_gaps(await store.top_gaps(limit))


async def _feedback(settings: Settings) -> str:
    async with using_database(settings) as store:
        counts = await store.feedback_counts()
    return format_feedback(counts, _titles(settings.knowledge_dir))


def _titles(root: Path) -> dict[str, str] | None:
    try:
        return {e.id: e.title.en for e in load_knowledge(root).entries.values()}
    except KnowledgeError as exc:
        print(f"warning: knowledge not loaded ({len(exc.problems)} problem(s), see `banbot kb check`)", file=sys.stderr)
        return None


def _report(make: Coroutine[object, object, str]) -> int:
    """Print a report; exit status 1 with one line on stderr when the database cannot be used."""
    try:
        print(asyncio.run(make))
    except DatabaseUnavailableError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def kb_gaps(settings: Settings, limit: int) -> int:
    return _report(_gaps(settings, limit))


def kb_feedback(settings: Settings) -> int:
    return _report(_feedback(settings))
