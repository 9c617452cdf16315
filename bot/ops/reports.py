"""`banbot kb gaps` and `banbot kb feedback`: what curators should look at next, from the bot's database."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.errors import KnowledgeError
from bot.knowledge.loader import load_knowledge
from bot.settings import Settings
from bot.storage.records import FeedbackCount, Gap
from bot.storage.sql import open_store


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
    store = await open_store(settings.database_url, schema=settings.database_schema)
    try:
        return format_gaps(await store.top_gaps(limit))
    finally:
        await store.close()


async def _feedback(settings: Settings) -> str:
    store = await open_store(settings.database_url, schema=settings.database_schema)
    try:
        counts = await store.feedback_counts()
    finally:
        await store.close()
    return format_feedback(counts, _titles(settings.knowledge_dir))


def _titles(root: Path) -> dict[str, str] | None:
    try:
        return {e.id: e.title.en for e in load_knowledge(root).entries.values()}
    except KnowledgeError as exc:
        print(f"warning: knowledge not loaded ({len(exc.problems)} problem(s), see `banbot kb check`)", file=sys.stderr)
        return None


def kb_gaps(settings: Settings, limit: int) -> int:
    print(asyncio.run(_gaps(settings, limit)))
    return 0


def kb_feedback(settings: Settings) -> int:
    print(asyncio.run(_feedback(settings)))
    return 0
