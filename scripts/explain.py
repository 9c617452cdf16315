"""Show how the hybrid engine ranks entries and decides for questions: `python scripts/explain.py "question" ...`.

Each candidate shows the fused score with its lexical (coverage, BM25 score) and semantic (cosine) evidence;
the first line shows the decision, the closest out-of-scope group and whether the question names an anchor.
"""

from __future__ import annotations

import sys

from bot.core.decision import decide
from bot.core.text import clean_question
from bot.engine import AnswererFactory
from bot.knowledge.loader import load_knowledge
from bot.settings import load_settings


def main() -> None:
    settings = load_settings()
    answerer = AnswererFactory.from_settings(settings)(load_knowledge(settings.knowledge_dir))
    for question in sys.argv[1:]:
        ranking = answerer.ranker.rank(clean_question(question))
        decision = decide(ranking, answerer.thresholds)
        print(
            f"{question!r}: {decision.verdict.value} (confidence {decision.confidence}); on_topic={ranking.on_topic} "
            f"exact={ranking.exact} scope={ranking.scope_id}:{ranking.scope:.2f} qualifier={ranking.qualifier}"
        )
        for c in ranking.candidates[:5]:
            print(
                f"   {c.entry.id:34s} fused={c.fused:.2f} lexical={c.lexical:.2f} (coverage {c.coverage:.2f}, "
                f"score {c.score:.1f}) semantic={c.semantic:.2f}  {c.question!r}"
            )


if __name__ == "__main__":
    main()
