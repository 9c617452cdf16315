"""Holds the current knowledge and its answerer; swaps both atomically on reload."""

from __future__ import annotations

import logging
from pathlib import Path

from bot.core.answering import Answerer
from bot.errors import KnowledgeError
from bot.knowledge.loader import KnowledgeBase, load_knowledge

log = logging.getLogger(__name__)


class KnowledgeHolder:
    """The current `KnowledgeBase` and `Answerer`. An invalid reload keeps the last good knowledge."""

    def __init__(self, root: Path, kb: KnowledgeBase | None = None) -> None:
        self.root = root
        first = kb if kb is not None else load_knowledge(root)
        self._answerer = Answerer(first)

    @property
    def answerer(self) -> Answerer:
        return self._answerer

    @property
    def kb(self) -> KnowledgeBase:
        return self._answerer.kb

    def reload(self) -> bool:
        """Load the files again; return True when the knowledge changed. Errors are logged, not raised."""
        try:
            kb = load_knowledge(self.root)
        except KnowledgeError as exc:
            for problem in exc.problems:
                log.error("knowledge reload rejected: %s", problem)
            return False
        if kb.version == self.kb.version:
            return False
        self._answerer = Answerer(kb)
        log.info("knowledge reloaded: version=%s entries=%d", kb.version, len(kb.entries))
        return True
