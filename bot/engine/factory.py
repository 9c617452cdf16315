"""Builds the answering engine from settings: the lexical index, plus the sentence encoder unless
`BANBOT_SEMANTIC=off`. One encoder serves every reload; the vector cache makes a reload embed only what
changed."""

from __future__ import annotations

from bot.core.answering import Answerer
from bot.core.semantic import Encoder, SemanticIndex, VectorCache
from bot.knowledge.loader import KnowledgeBase
from bot.settings import Settings


class AnswererFactory:
    """`factory(kb)` returns an `Answerer` for `kb`, hybrid or lexical-only as configured."""

    def __init__(self, encoder: Encoder | None, cache: VectorCache | None = None) -> None:
        self.encoder = encoder
        self.cache = cache

    @classmethod
    def from_settings(cls, settings: Settings) -> AnswererFactory:
        if not settings.semantic:
            return cls(None)
        from bot.embedding import DiskVectorCache, UseEncoder

        return cls(UseEncoder(settings.cache_dir), DiskVectorCache(settings.cache_dir))

    def __call__(self, kb: KnowledgeBase) -> Answerer:
        semantic = SemanticIndex(kb, self.encoder, self.cache) if self.encoder is not None else None
        return Answerer(kb, semantic)
