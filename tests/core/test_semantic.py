"""Hybrid retrieval with a small deterministic encoder: fusion, the out-of-scope decision, the vector cache,
and one run of the real multilingual encoder."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import yaml

from bot.core.answering import Answerer
from bot.core.decision import Thresholds, Verdict, decide
from bot.core.models import ReplyKind
from bot.core.ranking import Candidate, Ranking
from bot.core.semantic import SemanticIndex, Vectors
from bot.embedding import DiskVectorCache
from bot.knowledge.loader import KnowledgeBase, load_knowledge

from .conftest import SAMPLE_ENTRIES, entry, utc, write_kb

NOW = utc(2026, 11, 26, 12)


class WordEncoder:
    """Bag of words hashed into 256 dimensions: similar wording, similar vector. Counts what it embeds."""

    name = "words-256"

    def __init__(self) -> None:
        self.encoded = 0

    def encode(self, texts: Sequence[str]) -> Vectors:
        self.encoded += len(texts)
        out = np.zeros((len(texts), 256), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().replace("?", " ").split():
                out[row, int(hashlib.md5(word.encode()).hexdigest()[:6], 16) % 256] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


SCOPE = {
    "groups": [
        {
            "id": "app-howto",
            "reply": {
                "en": "I only know about the ban; see TikTok's Help Center.",
                "zh": "我只了解禁令；请看帮助中心。",
            },
            "examples": {
                "en": ["how do I add a duet on tiktok", "how to use filters on tiktok", "how do I go viral on tiktok"],
                "zh": ["TikTok怎么合拍", "抖音怎么开直播"],
            },
        }
    ]
}


@pytest.fixture
def kb_root(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    entries = [
        *SAMPLE_ENTRIES,
        entry(
            "status-now",
            ["Is TikTok banned in the US right now?", "can I still use tiktok"],
            ["TikTok现在在美国被禁了吗？"],
            "TikTok is available in the US; the law was never enforced against it.",
            "TikTok在美国仍可使用；该法从未对其执行。",
            short={
                "en": "TikTok is not banned in the US: it is still available.",
                "zh": "TikTok在美国没有被禁，仍可使用。",
            },
            polarity="no",
        ),
    ]
    write_kb(root, entries)
    (root / "out_of_scope.yaml").write_text(yaml.safe_dump(SCOPE, allow_unicode=True))
    return root


@pytest.fixture
def kb(kb_root: Path) -> KnowledgeBase:
    return load_knowledge(kb_root)


def candidate(kb: KnowledgeBase, entry_id: str, *, lexical: float, semantic: float, fused: float) -> Candidate:
    return Candidate(kb.entries[entry_id], lexical, lexical, lexical * 8, semantic, fused, "q", True)


def ranking(*candidates: Candidate, scope: float = 0.0, on_topic: bool = True) -> Ranking:
    return Ranking(list(candidates), False, on_topic, 3, "app-howto", scope, semantic=True)


def test_fusion_lets_the_encoder_overrule_a_shared_word(kb: KnowledgeBase) -> None:
    answerer = Answerer(kb, SemanticIndex(kb, WordEncoder()))
    ranked = answerer.ranker.rank("what kind of app is xiaohongshu")
    assert ranked.candidates[0].entry.id == "rednote-what"
    assert ranked.candidates[0].semantic > 0.9


def test_an_exact_alternate_wins_outright(kb: KnowledgeBase) -> None:
    answerer = Answerer(kb, SemanticIndex(kb, WordEncoder()))
    ranked = answerer.ranker.rank("countdown to the BAN")
    assert ranked.exact and ranked.candidates[0].entry.id == "ban-countdown"
    assert decide(ranked, Thresholds()).verdict is Verdict.ANSWER


def test_out_of_scope_examples_decline_a_near_topic_question(kb: KnowledgeBase) -> None:
    answerer = Answerer(kb, SemanticIndex(kb, WordEncoder()))
    declined = answerer.answer("how do I add a duet on tiktok", NOW)
    assert declined.kind is ReplyKind.DECLINE and not declined.answered
    assert "Help Center" in declined.text
    assert [s.entry_id for s in declined.suggestions]  # curated starters, never an unrelated entry
    kept = answerer.answer("can I still use tiktok", NOW)
    assert kept.kind is ReplyKind.ANSWER and kept.entry_id == "status-now"


def test_the_decision_weighs_the_best_entry_against_the_best_out_of_scope_example(kb: KnowledgeBase) -> None:
    t = Thresholds()
    close_entry = candidate(kb, "status-now", lexical=0.5, semantic=0.8, fused=0.6)
    assert decide(ranking(close_entry, scope=0.7), t).verdict is Verdict.ANSWER
    weak_entry = candidate(kb, "status-now", lexical=0.2, semantic=0.4, fused=0.3)
    assert decide(ranking(weak_entry, scope=0.9), t).verdict is Verdict.OUT_OF_SCOPE
    unanchored = candidate(kb, "status-now", lexical=0.1, semantic=0.3, fused=0.2)
    assert decide(ranking(unanchored, on_topic=False), t).verdict is Verdict.UNKNOWN


def test_lexical_only_mode_needs_no_encoder(kb: KnowledgeBase) -> None:
    reply = Answerer(kb).answer("What kind of app is Xiaohongshu?", NOW)
    assert reply.entry_id == "rednote-what"


def test_vectors_are_cached_and_a_knowledge_edit_embeds_only_what_changed(kb_root: Path, tmp_path: Path) -> None:
    cache = DiskVectorCache(tmp_path / "cache")
    encoder = WordEncoder()
    SemanticIndex(load_knowledge(kb_root), encoder, cache)
    first = encoder.encoded
    assert first > 0
    SemanticIndex(load_knowledge(kb_root), encoder, cache)
    assert encoder.encoded == first  # nothing new: all from the cache
    data = yaml.safe_load((kb_root / "entries" / "e.yaml").read_text())
    data["entries"][0]["questions"]["en"].append("Was the law upheld by the court in January 2025?")
    (kb_root / "entries" / "e.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    SemanticIndex(load_knowledge(kb_root), encoder, cache)
    assert encoder.encoded == first + 1


def test_a_corrupt_cache_is_rebuilt(kb_root: Path, tmp_path: Path) -> None:
    cache = DiskVectorCache(tmp_path / "cache")
    encoder = WordEncoder()
    SemanticIndex(load_knowledge(kb_root), encoder, cache)
    for path in (tmp_path / "cache").iterdir():
        path.write_bytes(b"not a numpy file")
    before = encoder.encoded
    index = SemanticIndex(load_knowledge(kb_root), encoder, cache)
    assert encoder.encoded > before and index.match("what is rednote").entry.max() > 0.5


def test_the_real_encoder_matches_across_languages(kb: KnowledgeBase, tmp_path: Path) -> None:
    from bot.embedding import UseEncoder

    answerer = Answerer(kb, SemanticIndex(kb, UseEncoder(), DiskVectorCache(tmp_path / "cache")))
    assert answerer.answer("小红书是干什么的", NOW).entry_id == "rednote-what"
    assert answerer.answer("did the highest court let the tiktok law stand?", NOW).entry_id == "court-ruling"
    assert not answerer.answer("how do i make a duet video on tiktok", NOW).answered


def test_a_lexical_match_is_trusted_unless_the_encoder_clearly_prefers_another(kb: KnowledgeBase) -> None:
    t = Thresholds()
    covered = dataclasses.replace(candidate(kb, "court-ruling", lexical=0.9, semantic=0.5, fused=0.4), lexical_rank=0)
    close = candidate(kb, "status-now", lexical=0.1, semantic=0.55, fused=0.5)
    assert decide(ranking(close, covered), t).candidate is covered  # names and numbers: the lexical match wins
    far = candidate(kb, "status-now", lexical=0.1, semantic=0.9, fused=0.7)
    assert decide(ranking(far, covered), t).candidate is far  # the encoder is clearly surer
