"""Show how the matcher ranks entries for questions: `python scripts/explain.py "question" ...`."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.core.index import Index
from bot.knowledge.loader import load_knowledge


def main() -> None:
    index = Index(load_knowledge(Path(__file__).resolve().parent.parent / "knowledge"))
    for question in sys.argv[1:]:
        found = index.search(question, limit=5)
        print(f"{question!r}  terms={index.query_terms(question)}  on_topic={found.on_topic}")
        for hit in found.hits:
            print(f"   {hit.entry.id:36s} score={hit.score:6.2f} coverage={hit.coverage:.2f}  {hit.best_question!r}")


if __name__ == "__main__":
    main()
