"""Holds the current knowledge and its answerer; swaps both atomically on reload."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from bot.core.answering import Answerer
from bot.errors import KnowledgeError
from bot.knowledge.loader import KnowledgeBase, load_knowledge

log = logging.getLogger(__name__)

MAX_LOGGED_PROBLEMS = 20
"""A rejected reload logs this many problems, then a count; `banbot kb check` lists them all."""


class KnowledgeHolder:
    """The current `KnowledgeBase` and `Answerer`. An invalid reload keeps the last good knowledge."""

    def __init__(
        self, root: Path, kb: KnowledgeBase | None = None, build: Callable[[KnowledgeBase], Answerer] = Answerer
    ) -> None:
        self.root = root
        self._build_answerer = build
        first = kb if kb is not None else load_knowledge(root)
        self._answerer = build(first)

    @property
    def answerer(self) -> Answerer:
        return self._answerer

    @property
    def kb(self) -> KnowledgeBase:
        return self._answerer.kb

    def reload(self) -> bool:
        """Load the files again; return True when the knowledge changed. Errors are logged, not raised."""
        return self._swap(self._build())

    async def reload_async(self) -> bool:
        """`reload` with reading, validating and indexing in a worker thread; only the swap runs on the loop."""
        return self._swap(await asyncio.to_thread(self._build))

    def _build(self) -> Answerer | None:
        """A new answerer for the files as they are now; None when they are invalid or unchanged."""
        try:
            kb = load_knowledge(self.root)
        except KnowledgeError as exc:
            for problem in exc.problems[:MAX_LOGGED_PROBLEMS]:
                log.error("knowledge reload rejected: %s", problem)
            unlogged = len(exc.problems) - MAX_LOGGED_PROBLEMS
            log.error(
                "knowledge reload rejected: %d problem(s)%s; keeping version %s",
                len(exc.problems),
                f" ({unlogged} more not logged: run `banbot kb check`)" if unlogged > 0 else "",
                self.kb.version,
            )
            return None
        if kb.version == self.kb.version:
            return None
        try:
            return self._build_answerer(kb)
        except Exception:  # whatever goes wrong, the bot keeps answering from the last good knowledge
            log.exception("knowledge reload rejected: could not index version %s", kb.version)
            return None

    def _swap(self, answerer: Answerer | None) -> bool:
        if answerer is None or answerer.kb.version == self.kb.version:
            return False
        self._answerer = answerer
        log.info("knowledge reloaded: version=%s entries=%d", answerer.kb.version, len(answerer.kb.entries))
        return True
