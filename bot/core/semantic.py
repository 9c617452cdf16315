"""Semantic retrieval: sentence vectors of the knowledge's questions and of the out-of-scope examples.

The encoder and the vector cache are ports (`Encoder`, `VectorCache`): the core only multiplies vectors.
`bot.embedding` provides the real multilingual encoder and the on-disk cache; tests use small fakes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from bot.knowledge.loader import KnowledgeBase

Vectors = NDArray[np.float32]


class Encoder(Protocol):
    """Turns sentences into L2-normalised vectors, one row each."""

    @property
    def name(self) -> str:
        """Identifies the model and its version: cached vectors of another name are never reused."""
        ...

    def encode(self, texts: Sequence[str]) -> Vectors: ...


class VectorCache(Protocol):
    """Vectors kept between runs, by text key, so that a reload embeds only what changed."""

    def load(self, encoder: str) -> Mapping[str, Vectors]: ...

    def save(self, encoder: str, vectors: Mapping[str, Vectors]) -> None: ...


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def embed_all(texts: Sequence[str], encoder: Encoder, cache: VectorCache | None) -> Vectors:
    """Vectors of `texts`, taking what the cache has and embedding only the rest (then saving the cache,
    pruned to exactly these texts)."""
    keys = [text_key(t) for t in texts]
    known = dict(cache.load(encoder.name)) if cache is not None else {}
    missing = list(dict.fromkeys(k for k in keys if k not in known))
    if missing:
        by_key = dict(zip(keys, texts, strict=True))
        fresh = encoder.encode([by_key[k] for k in missing])
        known.update(zip(missing, fresh, strict=True))
    if cache is not None and (missing or len(known) != len(set(keys))):
        cache.save(encoder.name, {k: known[k] for k in dict.fromkeys(keys)})
    if not keys:
        return np.zeros((0, 1), dtype=np.float32)
    return np.stack([np.asarray(known[k], dtype=np.float32) for k in keys])


@dataclass(frozen=True, slots=True)
class SemanticMatch:
    """How close a question is to each entry and to each out-of-scope group (cosine similarity)."""

    entry: NDArray[np.float32]
    """Best similarity per entry, in `SemanticIndex.entry_ids` order."""
    scope: NDArray[np.float32]
    """Best similarity per out-of-scope group, in `SemanticIndex.scope_ids` order."""
    texts: NDArray[np.float32]
    """Similarity to every entry text, entry by entry (see `SemanticIndex.closest_text`)."""


def _group_rows(groups: Iterable[tuple[str, Sequence[str]]]) -> tuple[list[str], list[str], list[int]]:
    ids: list[str] = []
    texts: list[str] = []
    starts: list[int] = []
    for owner, owned in groups:
        if not owned:
            continue
        ids.append(owner)
        starts.append(len(texts))
        texts.extend(owned)
    return ids, texts, starts


class SemanticIndex:
    """Vectors of every entry's questions and title, and of every out-of-scope example."""

    def __init__(self, kb: KnowledgeBase, encoder: Encoder, cache: VectorCache | None = None) -> None:
        self.encoder = encoder
        self.entry_ids, self._texts, starts = _group_rows(
            (e.id, [*e.questions.en, *e.questions.zh, e.title.en, e.title.zh]) for e in kb.entries.values()
        )
        self.scope_ids, scope_texts, scope_starts = _group_rows(
            (g.id, [*g.examples.en, *g.examples.zh]) for g in kb.out_of_scope
        )
        vectors = embed_all([*self._texts, *scope_texts], encoder, cache)
        self._entry_vectors = vectors[: len(self._texts)]
        self._scope_vectors = vectors[len(self._texts) :]
        self._starts = np.asarray(starts, dtype=np.intp)
        self.position = {entry_id: i for i, entry_id in enumerate(self.entry_ids)}
        """Where each entry's similarity is in `SemanticMatch.entry`."""
        self._scope_starts = np.asarray(scope_starts, dtype=np.intp)

    def closest_text(self, match: SemanticMatch, entry: int) -> str:
        """The entry's question or title closest to the question."""
        start = int(self._starts[entry])
        end = int(self._starts[entry + 1]) if entry + 1 < len(self._starts) else len(self._texts)
        return self._texts[start + int(match.texts[start:end].argmax())]

    def match(self, question: str) -> SemanticMatch:
        query = self.encoder.encode([question])[0]
        sims = self._entry_vectors @ query if len(self._texts) else np.zeros(0, dtype=np.float32)
        entry_best = np.maximum.reduceat(sims, self._starts) if len(self._starts) else sims
        scope_sims = self._scope_vectors @ query if len(self._scope_vectors) else np.zeros(0, dtype=np.float32)
        scope_best = (
            np.maximum.reduceat(scope_sims, self._scope_starts)
            if len(self._scope_starts)
            else np.zeros(0, dtype=np.float32)
        )
        return SemanticMatch(entry_best.astype(np.float32), scope_best.astype(np.float32), sims)
